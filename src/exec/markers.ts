/**
 * The lines of task output that Spire reads (pure; no I/O).
 *
 *   ::warning::TEXT            ::warning file=a.py,line=3::TEXT (properties as GitHub allows, ignored)
 *   ::error::TEXT              ::metric::NAME=NUMBER
 *   ::progress::DONE/TOTAL     ::progress::42%
 *   ::output::KEY=VALUE        ::set-output name=KEY::VALUE (the older GitHub form)
 *   ::add-mask::VALUE          (masks VALUE in every later line)
 *
 * Anything else starting with "::" is an ordinary line.
 */
import type { MetricAggregate } from "./port.js";

export type Marker =
  | { kind: "warning"; text: string }
  | { kind: "error"; text: string }
  | { kind: "metric"; name: string; value: number }
  | { kind: "progress"; done: number; total: number }
  | { kind: "output"; key: string; value: string }
  | { kind: "add-mask"; value: string };

/** Output keys: what a template `${{ tasks.T.outputs.KEY }}` can name. */
export const OUTPUT_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Cheap test used on every line before any parsing. */
export function mayBeMarker(line: string): boolean {
  return line.startsWith("::") || (line.length > 2 && (line[0] === " " || line[0] === "\t") && line.trimStart().startsWith("::"));
}

const COLON = 0x3a;

/**
 * mayBeMarker for a line still in bytes, `bytes[start, end)`: false only when
 * the text certainly is not a marker, so that most lines are never decoded.
 * After ASCII blanks, a byte ≥ 0x80 may begin a Unicode space that
 * trimStart() would also skip: such a line is decoded and asked again.
 */
export function mayBeMarkerBytes(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start < 2) return false;
  const first = bytes[start]!;
  if (first === COLON) return bytes[start + 1] === COLON;
  if (first !== 0x20 && first !== 0x09) return false;
  let at = start + 1;
  while (at < end && isAsciiBlank(bytes[at]!)) at++;
  return at < end && (bytes[at] === COLON || bytes[at]! >= 0x80);
}

/** The ASCII characters String#trimStart() skips: tab, line feed, vertical tab, form feed, carriage return, space. */
function isAsciiBlank(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

export function parseMarker(line: string): Marker | undefined {
  const text = line.trimStart();
  if (!text.startsWith("::")) return undefined;
  const close = text.indexOf("::", 2);
  if (close < 0) return undefined;
  const head = text.slice(2, close);
  const body = text.slice(close + 2);
  const space = head.indexOf(" ");
  const command = space < 0 ? head : head.slice(0, space);
  const properties = space < 0 ? "" : head.slice(space + 1);
  switch (command) {
    case "warning":
    case "error":
      return { kind: command, text: body };
    case "metric":
      return parseMetric(body);
    case "progress":
      return parseProgress(body);
    case "output":
      return parseKeyValue(body);
    case "set-output":
      return parseSetOutput(properties, body);
    case "add-mask":
      return body.length > 0 ? { kind: "add-mask", value: body } : undefined;
    default:
      return undefined;
  }
}

function parseMetric(body: string): Marker | undefined {
  const eq = body.indexOf("=");
  if (eq <= 0) return undefined;
  const name = body.slice(0, eq).trim();
  const raw = body.slice(eq + 1).trim();
  const value = Number(raw);
  if (name === "" || raw === "" || !Number.isFinite(value)) return undefined;
  return { kind: "metric", name, value };
}

function parseProgress(body: string): Marker | undefined {
  const text = body.trim();
  if (text.endsWith("%")) {
    const percent = Number(text.slice(0, -1));
    return Number.isFinite(percent) && percent >= 0 ? { kind: "progress", done: percent, total: 100 } : undefined;
  }
  const slash = text.indexOf("/");
  if (slash <= 0) return undefined;
  const done = Number(text.slice(0, slash));
  const total = Number(text.slice(slash + 1));
  if (!Number.isFinite(done) || !Number.isFinite(total) || done < 0 || total < 0) return undefined;
  return { kind: "progress", done, total };
}

function parseKeyValue(body: string): Marker | undefined {
  const eq = body.indexOf("=");
  if (eq <= 0) return undefined;
  const key = body.slice(0, eq).trim();
  return OUTPUT_KEY_PATTERN.test(key) ? { kind: "output", key, value: body.slice(eq + 1) } : undefined;
}

function parseSetOutput(properties: string, body: string): Marker | undefined {
  for (const pair of properties.split(",")) {
    const [name, value] = pair.split("=", 2);
    if (name?.trim() === "name" && value !== undefined && OUTPUT_KEY_PATTERN.test(value.trim())) {
      return { kind: "output", key: value.trim(), value: body };
    }
  }
  return undefined;
}

/** Running min/max/sum/count per metric name; `mean` is computed when read. */
export class MetricAggregator {
  readonly #byName = new Map<string, { min: number; max: number; sum: number; count: number }>();

  add(name: string, value: number): void {
    const seen = this.#byName.get(name);
    if (seen === undefined) {
      this.#byName.set(name, { min: value, max: value, sum: value, count: 1 });
      return;
    }
    seen.min = Math.min(seen.min, value);
    seen.max = Math.max(seen.max, value);
    seen.sum += value;
    seen.count += 1;
  }

  toRecord(): Record<string, MetricAggregate> {
    const result: Record<string, MetricAggregate> = {};
    for (const [name, { min, max, sum, count }] of this.#byName) {
      result[name] = { min, max, mean: sum / count, sum, count };
    }
    return result;
  }
}
