/**
 * What a translator of a foreign file needs: errors placed on the original
 * file's nodes (in the format of Spire's own), the record of where each
 * translated part came from, and type checks that say what was expected.
 */
import { formatKeyPath, type DefinitionError, type PathSegment } from "../errors.js";
import type { SourceMap } from "../positions.js";
import { suggest } from "../suggest.js";
import { NAME_PATTERN } from "../schema.js";
import { isRecord, received } from "../zod-issues.js";
import { Origins } from "./origins.js";

export type Raw = Record<string, unknown>;

export class ForeignReader {
  readonly errors: DefinitionError[] = [];
  readonly origins = new Origins();

  constructor(
    readonly file: string,
    readonly source: string,
    readonly map: SourceMap,
  ) {}

  error(path: PathSegment[], message: string, extra: Partial<DefinitionError> = {}, at: "value" | "key" = "value"): void {
    this.errors.push({ file: this.file, ...this.map.locate(path, at).position, keyPath: formatKeyPath(path), message, ...extra });
  }

  /** An error about `text` (its `occurrence`-th, from 0) inside the string at `path`, pointing at it where the file spells it out. */
  errorInside(path: PathSegment[], text: string, message: string, extra: Partial<DefinitionError> = {}, occurrence = 0): void {
    const position = this.map.locateInScalar(path, text, this.source, occurrence) ?? this.map.locate(path).position;
    this.errors.push({ file: this.file, ...position, keyPath: formatKeyPath(path), message, ...extra });
  }

  /** Reports keys the format does not have, with a did-you-mean. */
  knownKeys(value: Raw, allowed: readonly string[], path: PathSegment[], what: string): void {
    for (const key of Object.keys(value)) {
      if (allowed.includes(key)) continue;
      const close = suggest(key, allowed);
      this.error([...path, key], `unknown key \`${key}\` in ${what}`, { hint: close ? `did you mean \`${close}\`?` : `${what} takes: ${allowed.join(", ")}` }, "key");
    }
  }

  record(value: unknown, path: PathSegment[], what: string): Raw | undefined {
    if (value === undefined || value === null) return undefined;
    if (isRecord(value)) return value;
    this.error(path, `expected ${what}, got ${received(value)}`);
    return undefined;
  }

  string(value: unknown, path: PathSegment[], what = "a string"): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "string") return value;
    this.error(path, `expected ${what}, got ${received(value)}`);
    return undefined;
  }

  /** A scalar written where a string is meant (`args: [10]`, `TEST: 1`). */
  text(value: unknown, path: PathSegment[], what = "a string"): string | undefined {
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    return this.string(value, path, what);
  }

  integer(value: unknown, path: PathSegment[], what: string, min = 0): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "number" && Number.isInteger(value) && value >= min) return value;
    this.error(path, `expected ${what}, got ${received(value)}`, { expected: `${what} (${min} or more)` });
    return undefined;
  }

  boolean(value: unknown, path: PathSegment[]): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "boolean") return value;
    this.error(path, `expected true or false, got ${received(value)}`);
    return undefined;
  }

  /** A list of strings; items of another type are reported and left out. */
  strings(value: unknown, path: PathSegment[], what = "a list of strings"): { value: string; index: number }[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.error(path, `expected ${what}, got ${received(value)}`);
      return [];
    }
    const found: { value: string; index: number }[] = [];
    value.forEach((item, index) => {
      const text = this.text(item, [...path, index]);
      if (text !== undefined) found.push({ value: text, index });
    });
    return found;
  }

  /** `KEY: value` pairs (values may be numbers), as strings. */
  env(value: unknown, path: PathSegment[]): Record<string, string> | undefined {
    const record = this.record(value, path, "a mapping of environment variables");
    if (record === undefined) return undefined;
    const env: Record<string, string> = {};
    for (const [key, item] of Object.entries(record)) {
      const text = this.text(item, [...path, key], "a string or a number");
      if (text !== undefined) env[key] = text;
    }
    return env;
  }

  /** A name Spire can use for a pipeline, task or lock; reported when it cannot. */
  name(value: string, path: PathSegment[], what: string): boolean {
    if (NAME_PATTERN.test(value)) return true;
    this.error(path, `${JSON.stringify(value)} cannot be a ${what} name in Spire`, {
      expected: "letters, digits, '_', '.' and '-', not starting with '.' or '-'",
      hint: "rename it",
    });
    return false;
  }
}
