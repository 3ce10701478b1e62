/**
 * From a key path to the place in the YAML source, and back. Errors point at
 * the node they are about: a value, or for an unknown key the key itself, or
 * for a missing key the key of the mapping that lacks it.
 */
import type { Document, LineCounter, Node } from "yaml";
import { newLineCounter, yamlLibrary } from "./yaml-library.js";
import type { PathSegment } from "./errors.js";

export interface Position {
  line: number;
  column: number;
}

export interface Located {
  position: Position;
  /** How much of the path was found in the source (the rest is missing there, or came from a merge key). */
  found: number;
}

interface Step {
  value: Node | null;
  key: Node | null;
}

/** A parsed file: its document (undefined when empty) and where its lines start. */
export interface ParsedSource {
  doc: Document | undefined;
  lines: LineCounter;
}

/** What a SourceMap whose places come from elsewhere (it overrides them) is made with: never parsed. */
export const noDocument = (): ParsedSource => ({ doc: undefined, lines: newLineCounter() });

export class SourceMap {
  #parsed: ParsedSource | undefined;
  readonly #parse: (() => ParsedSource) | undefined;

  /**
   * `source` is the parsed file, or what parses it: a file read without a
   * Document (yaml-plain.ts) gets one the first time a place is asked for,
   * which for a valid file with no warnings is never.
   */
  constructor(source: ParsedSource | (() => ParsedSource)) {
    if (typeof source === "function") this.#parse = source;
    else this.#parsed = source;
  }

  private get doc(): Document | undefined {
    return this.#source().doc;
  }

  private get lines(): LineCounter {
    return this.#source().lines;
  }

  #source(): ParsedSource {
    this.#parsed ??= this.#parse!();
    return this.#parsed;
  }

  position(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /**
   * Where the node at `path` is. `at: "key"` points at the key of the last
   * segment (unknown keys); a collection value is also reported at its key,
   * which is where a reader looks for "this mapping".
   */
  locate(path: readonly PathSegment[], at: "value" | "key" = "value"): Located {
    const steps = this.walk(path);
    const last = steps[steps.length - 1];
    if (last === undefined) return { position: this.startOfDocument(), found: 0 };
    const node = at === "key" || isCollection(last.value) || last.value === null ? (last.key ?? last.value) : last.value;
    return { position: this.startOf(node), found: steps.length };
  }

  /** The offset of `text` (its `occurrence`-th, from 0) inside the scalar at `path`, when the source spells it out verbatim. */
  locateInScalar(path: readonly PathSegment[], text: string, source: string, occurrence = 0): Position | undefined {
    const steps = this.walk(path);
    if (steps.length !== path.length) return undefined;
    const node = steps[steps.length - 1]?.value;
    if (!yamlLibrary().isScalar(node) || node.range === undefined || node.range === null) return undefined;
    const scalar = source.slice(node.range[0], node.range[1]);
    let index = scalar.indexOf(text);
    for (let skipped = 0; skipped < occurrence && index >= 0; skipped++) index = scalar.indexOf(text, index + text.length);
    return index < 0 ? undefined : this.position(node.range[0] + index);
  }

  /** The key path of the innermost node holding `offset` (for YAML errors, which come with an offset only). */
  pathAt(offset: number): PathSegment[] {
    const path: PathSegment[] = [];
    let node: unknown = this.doc?.contents;
    for (;;) {
      const next = childHolding(this.resolve(node), offset);
      if (next === undefined) return path;
      path.push(next.segment);
      node = next.node;
    }
  }

  private walk(path: readonly PathSegment[]): Step[] {
    const steps: Step[] = [];
    let node: unknown = this.doc?.contents;
    for (const segment of path) {
      const step = child(this.resolve(node), segment);
      if (step === undefined) break;
      steps.push(step);
      node = step.value;
    }
    return steps;
  }

  private resolve(node: unknown): unknown {
    if (yamlLibrary().isAlias(node) && this.doc !== undefined) return node.resolve(this.doc);
    return node;
  }

  private startOf(node: Node | null): Position {
    const offset = node?.range?.[0];
    return offset === undefined ? this.startOfDocument() : this.position(offset);
  }

  private startOfDocument(): Position {
    const offset = (yamlLibrary().isNode(this.doc?.contents) ? this.doc?.contents.range?.[0] : undefined) ?? 0;
    return this.position(offset);
  }
}

function isCollection(node: unknown): boolean {
  return yamlLibrary().isMap(node) || yamlLibrary().isSeq(node);
}

function keyText(key: unknown): string | undefined {
  // YAML's merge key `<<` is a symbol: its text is `<<`, not "Symbol(<<)".
  if (yamlLibrary().isScalar(key)) return typeof key.value === "symbol" ? (key.value.description ?? "") : String(key.value);
  return typeof key === "string" ? key : undefined;
}

function child(node: unknown, segment: PathSegment): Step | undefined {
  if (yamlLibrary().isMap(node)) {
    for (const pair of node.items) {
      if (keyText(pair.key) === String(segment)) {
        return { key: yamlLibrary().isNode(pair.key) ? pair.key : null, value: yamlLibrary().isNode(pair.value) ? pair.value : null };
      }
    }
    return undefined;
  }
  if (yamlLibrary().isSeq(node) && typeof segment === "number") {
    const item = node.items[segment];
    return yamlLibrary().isNode(item) ? { key: null, value: item } : undefined;
  }
  return undefined;
}

function childHolding(node: unknown, offset: number): { segment: PathSegment; node: unknown } | undefined {
  const holds = (candidate: unknown): boolean => {
    const range = yamlLibrary().isNode(candidate) ? candidate.range : undefined;
    return range !== undefined && range !== null && range[0] <= offset && offset < range[2];
  };
  if (yamlLibrary().isMap(node)) {
    for (const pair of node.items) {
      if (!yamlLibrary().isPair(pair)) continue;
      const key = keyText(pair.key);
      if (key === undefined) continue;
      // From the key to the end of the value: tags and anchors sit between the two.
      const start = yamlLibrary().isNode(pair.key) ? pair.key.range?.[0] : undefined;
      const end = yamlLibrary().isNode(pair.value) ? pair.value.range?.[2] : undefined;
      const inPair = start !== undefined && end !== undefined && start <= offset && offset < end;
      if (holds(pair.key) || inPair) return { segment: key, node: holds(pair.value) ? pair.value : undefined };
    }
  }
  if (yamlLibrary().isSeq(node)) {
    const index = node.items.findIndex(holds);
    if (index >= 0) return { segment: index, node: node.items[index] };
  }
  return undefined;
}
