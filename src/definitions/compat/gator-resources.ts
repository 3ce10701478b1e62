/**
 * A Gator job's `resources:` as Spire's: `!Cores [n]` → resources.cpus,
 * `!Memory [size, unit]` (KB, MB, GB, TB, decimal, default MB) →
 * resources.memory, `!License [name, count]` and `!Feature [name, count]` →
 * locks (`name`, or `{ name, count }` for more than one unit; the capacity
 * of a lock is declared at the top of a Spire file, default 1).
 * Each tag also comes in mapping form (`!Memory { size: 2, unit: GB }`).
 */
import type { PathSegment } from "../errors.js";
import { isRecord } from "../zod-issues.js";
import { kindOf, type GatorKind } from "./gator-tags.js";
import type { ForeignReader, Raw } from "./reader.js";

export const GATOR_RESOURCE_KEYS = ["resources"];

/** Field names of each tag, in the order its sequence form gives them. */
const FIELDS: Partial<Record<GatorKind, string[]>> = {
  Cores: ["count", "arch"],
  Memory: ["size", "unit"],
  License: ["name", "count"],
  Feature: ["name", "count"],
};
const MEMORY_UNITS = ["KB", "MB", "GB", "TB"];

export function translateResources(value: unknown, path: PathSegment[], spirePath: PathSegment[], reader: ForeignReader): Raw {
  const out: Raw = {};
  if (value === undefined || value === null) return out;
  if (!Array.isArray(value)) {
    reader.error(path, "expected a list of !Cores, !Memory, !License and !Feature");
    return out;
  }
  const resources: Raw = {};
  const locks: (string | { name: string; count: number })[] = [];
  const lockNames: string[] = [];
  const given = new Set<GatorKind>();
  value.forEach((item, index) => {
    const at = [...path, index];
    const kind = kindOf(item);
    const names = kind === undefined ? undefined : FIELDS[kind];
    if (kind === undefined || names === undefined) {
      reader.error(at, "expected !Cores, !Memory, !License or !Feature");
      return;
    }
    const fields = fieldsOf(item, names, at, kind, reader);
    const where = (field: string) => fieldPath(at, item, field, names);
    if (kind === "Cores" || kind === "Memory") {
      if (given.has(kind)) return reader.error(at, `more than one !${kind} request`, { hint: "a job gives each of !Cores and !Memory once" });
      given.add(kind);
      const key = kind === "Cores" ? "cpus" : "memory";
      const amount = kind === "Cores" ? cores(fields, at, where, reader) : memory(fields, at, where, reader);
      if (amount === undefined) return;
      resources[key] = amount;
      reader.origins.add([...spirePath, "resources", key], at);
    } else {
      const name = reader.string(fields["name"], where("name"));
      const count = reader.integer(fields["count"], where("count"), "a whole number");
      if (name === undefined || !reader.name(name, where("name"), "lock")) return;
      if (lockNames.includes(name)) reader.error(at, `a second request for ${JSON.stringify(name)}`, { hint: "one entry per license or feature" });
      reader.origins.add([...spirePath, "locks", locks.length], at);
      lockNames.push(name);
      locks.push(count !== undefined && count > 1 ? { name, count } : name);
    }
  });
  if (Object.keys(resources).length > 0) out["resources"] = resources;
  if (locks.length > 0) out["locks"] = locks;
  reader.origins.add([...spirePath, "resources"], path);
  reader.origins.add([...spirePath, "locks"], path);
  return out;
}

function fieldsOf(item: unknown, names: string[], at: PathSegment[], kind: GatorKind, reader: ForeignReader): Raw {
  if (Array.isArray(item)) {
    if (item.length === 0 || item.length > names.length) reader.error(at, `!${kind} takes [${names.join(", ")}]`);
    return Object.fromEntries(names.map((name, index) => [name, item[index]]));
  }
  if (isRecord(item)) {
    reader.knownKeys(item, names, at, `!${kind}`);
    return item;
  }
  reader.error(at, `!${kind} takes [${names.join(", ")}] or a mapping of them`);
  return {};
}

function fieldPath(at: PathSegment[], item: unknown, name: string, names: string[]): PathSegment[] {
  return Array.isArray(item) ? [...at, names.indexOf(name)] : [...at, name];
}

function cores(fields: Raw, at: PathSegment[], where: (field: string) => PathSegment[], reader: ForeignReader): number | undefined {
  const count = reader.integer(fields["count"], where("count"), "a whole number");
  if (fields["count"] === undefined) reader.error(at, "!Cores needs a count");
  // 0 is Gator's way of asking for nothing.
  return count !== undefined && count > 0 ? count : undefined;
}

function memory(fields: Raw, at: PathSegment[], where: (field: string) => PathSegment[], reader: ForeignReader): string | undefined {
  const size = fields["size"];
  if (typeof size !== "number" || !(size >= 0)) {
    reader.error(fields["size"] === undefined ? at : where("size"), "!Memory needs a size: a number of units", { expected: "!Memory [10, MB]" });
    return undefined;
  }
  const unit = fields["unit"] === undefined ? "MB" : String(fields["unit"]).trim().toUpperCase();
  if (!MEMORY_UNITS.includes(unit)) {
    reader.error(where("unit"), `unknown unit ${JSON.stringify(fields["unit"])}`, { expected: `one of: ${MEMORY_UNITS.join(", ")}` });
    return undefined;
  }
  return size > 0 ? `${size}${unit}` : undefined;
}

/**
 * Capacities for the file's top-level `locks:`: a Gator file has no place to
 * say how many seats a license has, so each counted license gets the most any
 * one job asks for — the file runs as it would alone, and jobs that together
 * ask for more take turns. Declare the real figure in a Spire file (see
 * `spire convert`).
 */
export function licenseCapacities(tasks: unknown, found: Record<string, number> = {}): Record<string, number> {
  if (!isRecord(tasks)) return found;
  for (const task of Object.values(tasks)) {
    if (!isRecord(task)) continue;
    for (const lock of Array.isArray(task["locks"]) ? task["locks"] : []) {
      if (isRecord(lock) && typeof lock["name"] === "string" && typeof lock["count"] === "number") found[lock["name"]] = Math.max(found[lock["name"]] ?? 1, lock["count"]);
    }
    licenseCapacities(task["group"], found);
  }
  return found;
}
