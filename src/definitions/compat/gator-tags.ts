/**
 * Gator's YAML tags, for its reader only: `!Job`, `!JobGroup`, `!JobArray`
 * (mappings) and the resource requests `!Cores`, `!Memory`, `!License`,
 * `!Feature` (a short sequence or a mapping). A tagged node reads as plain
 * data with its tag kept aside (a symbol, so no key of the file can clash);
 * nothing is constructed or run. Any other tag stays an error.
 */
import type { CollectionTag, YAMLMap, YAMLSeq } from "yaml";
import { yamlLibrary } from "../yaml-library.js";

const KIND = Symbol("gator tag");

export type GatorKind = "Job" | "JobGroup" | "JobArray" | "Cores" | "Memory" | "License" | "Feature";
export const JOB_KINDS: readonly GatorKind[] = ["Job", "JobGroup", "JobArray"];
const RESOURCE_KINDS: readonly GatorKind[] = ["Cores", "Memory", "License", "Feature"];

/** The Gator tag a node of the read data had, if any. */
export function kindOf(value: unknown): GatorKind | undefined {
  return typeof value === "object" && value !== null ? (value as { [KIND]?: GatorKind })[KIND] : undefined;
}

function mark<T extends object>(value: T, kind: GatorKind): T {
  Object.defineProperty(value, KIND, { value: kind, enumerable: false });
  return value;
}

function tag(kind: GatorKind, collection: "map" | "seq"): CollectionTag {
  const nodeClass = collection === "map" ? taggedMap(kind) : taggedSeq(kind);
  return {
    tag: `!${kind}`,
    collection,
    nodeClass,
    identify: () => false,
    resolve(value) {
      const node = new nodeClass(value.schema);
      node.items = value.items as typeof node.items;
      node.range = value.range;
      return node;
    },
  };
}

function taggedMap(kind: GatorKind) {
  return class extends yamlLibrary().YAMLMap {
    override toJSON(_?: unknown, ctx?: Parameters<YAMLMap["toJSON"]>[1]): unknown {
      return mark(super.toJSON(_, ctx) as object, kind);
    }
  };
}

function taggedSeq(kind: GatorKind) {
  return class extends yamlLibrary().YAMLSeq {
    override toJSON(_?: unknown, ctx?: Parameters<YAMLSeq["toJSON"]>[1]): unknown[] {
      return mark(super.toJSON(_, ctx), kind);
    }
  };
}

let tags: CollectionTag[] | undefined;

/** The tags, made at the first Gator file read (they extend the yaml package's classes: see yaml-library.ts). */
export function gatorTags(): CollectionTag[] {
  return (tags ??= [...JOB_KINDS.map((kind) => tag(kind, "map")), ...RESOURCE_KINDS.flatMap((kind) => [tag(kind, "map"), tag(kind, "seq")])]);
}
