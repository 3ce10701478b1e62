/**
 * A JSON value as YAML, for reading (a pipeline's normalised definition):
 * block style, two-space indents, keys in the order the engine sent them,
 * strings quoted only where YAML would read them as something else, and
 * multi-line strings as literal blocks. Not a general YAML writer: no
 * anchors, no flow style beyond empty `{}` and `[]`.
 */

/** Words YAML 1.1 or 1.2 would read as a boolean or null. */
const SPECIAL_WORDS = /^(?:true|false|yes|no|on|off|y|n|null|~)$/i;
/** Numbers in any form a YAML reader would take as one (ints, floats, hex, octal, .inf, .nan). */
const NUMBER_LIKE = /^[-+]?(?:\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+|\.inf|\.nan)$/i;

function needsQuotes(text: string): boolean {
  if (text === "") return true;
  if (SPECIAL_WORDS.test(text) || NUMBER_LIKE.test(text)) return true;
  // Leading characters with a meaning of their own, and surrounding spaces a reader would drop.
  if (/^[\s\-?:,[\]{}#&*!|>'"%@`]/.test(text) || /\s$/.test(text)) return true;
  // ": " starts a mapping, " #" a comment; control characters need escapes.
  if (text.includes(": ") || text.endsWith(":") || text.includes(" #") || /[\u0000-\u001f\u007f]/.test(text)) return true;
  return false;
}

function quote(text: string): string {
  // JSON strings are valid YAML double-quoted scalars.
  return JSON.stringify(text);
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : value > 0 ? ".inf" : value < 0 ? "-.inf" : ".nan";
  const text = String(value);
  return needsQuotes(text) ? quote(text) : text;
}

function key(name: string): string {
  return needsQuotes(name) || /[:#]/.test(name) ? quote(name) : name;
}

function isBlock(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return value !== null && typeof value === "object" && Object.keys(value).length > 0;
}

/**
 * A literal block (`|`) where it reads the text back exactly and plainly: a
 * first line that does not start with a space, no line ending in spaces,
 * at most one final newline. Anything else is a double-quoted string.
 */
function asBlock(text: string): boolean {
  if (!text.includes("\n") || /^\s/.test(text) || text.endsWith("\n\n")) return false;
  if (/[\u0000-\u0008\u000b-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(text)) return false;
  return text.split("\n").every((line) => !/[ \t]$/.test(line));
}

function multiline(text: string, indent: string): string {
  const chomp = text.endsWith("\n") ? "" : "-";
  const body = (text.endsWith("\n") ? text.slice(0, -1) : text)
    .split("\n")
    .map((line) => (line === "" ? "" : `${indent}${line}`))
    .join("\n");
  return `|${chomp}\n${body}`;
}

function valueAfterKey(value: unknown, indent: string): string {
  if (isBlock(value)) return `\n${lines(value, indent)}`;
  if (Array.isArray(value)) return " []";
  if (value !== null && typeof value === "object") return " {}";
  if (typeof value === "string" && asBlock(value)) return ` ${multiline(value, indent)}`;
  return ` ${scalar(value)}`;
}

function lines(value: unknown, indent: string): string {
  const next = `${indent}  `;
  if (Array.isArray(value)) {
    return value
      .map((item) => {
        if (isBlock(item) && !Array.isArray(item)) {
          // A mapping in a list: its first key on the dash's line.
          const inner = lines(item, next);
          return `${indent}- ${inner.slice(next.length)}`;
        }
        return `${indent}-${valueAfterKey(item, next)}`;
      })
      .join("\n");
  }
  if (value !== null && typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .map(([name, item]) => `${indent}${key(name)}:${valueAfterKey(item, next)}`)
      .join("\n");
  }
  return `${indent}${scalar(value)}`;
}

export function toYaml(value: unknown): string {
  if (!isBlock(value)) return `${valueAfterKey(value, "").trimStart()}\n`;
  return `${lines(value, "")}\n`;
}
