/**
 * The quick read of a definitions file that is plain, well-formed YAML: the
 * data only, by js-yaml, about eight times faster than building yaml's
 * Document (a 1,000-task file: ~35 ms against ~250, and a third of the
 * garbage). Most files a user runs are like that, and a big one is read at
 * every `spire run`.
 *
 * yaml-source.ts stays the reader of record: anything this one is not sure
 * to read the same way is left to it, and so is every position (it builds
 * the Document only when an error or a place is asked for). Left to it:
 * - anything js-yaml refuses or warns about (syntax, duplicate keys, tags
 *   outside YAML's core schema, several documents);
 * - a collection reached twice: an alias, which the Document expands within
 *   a bounded count (an "alias bomb" is refused there, with its place);
 * - `__proto__` and `<<` keys: refused, or merged, with positions, there;
 * - keys that are not scalars, and null keys: they become other strings
 *   there (`[a, b]` is "[ a, b ]", `~` is ""), as they do not here;
 * - a directive (`%YAML 1.1` changes what `yes` means, there).
 * The plain scalars resolve as the YAML 1.2 core schema says, as yaml's do
 * (the core schema's patterns, not js-yaml's, which also take `0b1`, `-0x1`).
 */
import jsYaml from "js-yaml";

const CORE = "tag:yaml.org,2002:";

/** The core schema's integers: decimal with a sign, `0o` octal, `0x` hex (no sign on either). */
const integer = new jsYaml.Type(`${CORE}int`, {
  kind: "scalar",
  resolve: (text: string | null) => text !== null && /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/.test(text),
  construct: (text: string) => (text.startsWith("0o") ? parseInt(text.slice(2), 8) : text.startsWith("0x") ? parseInt(text.slice(2), 16) : parseInt(text, 10)),
});

/** The core schema's floats: a dot or an exponent (or both), `.inf` with a sign, `.nan`. */
const float = new jsYaml.Type(`${CORE}float`, {
  kind: "scalar",
  resolve: (text: string | null) =>
    text !== null && /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(text),
  construct: (text: string) => {
    const special = text.replace(/^[-+]/, "").toLowerCase();
    if (special === ".nan") return NaN;
    if (special === ".inf") return text.startsWith("-") ? -Infinity : Infinity;
    return parseFloat(text);
  },
});

const nothing = new jsYaml.Type(`${CORE}null`, {
  kind: "scalar",
  resolve: (text: string | null) => text === null || /^(?:~|null|Null|NULL)?$/.test(text),
  construct: () => null,
});

const boolean = new jsYaml.Type(`${CORE}bool`, {
  kind: "scalar",
  resolve: (text: string | null) => text !== null && /^(?:true|True|TRUE|false|False|FALSE)$/.test(text),
  construct: (text: string) => text.startsWith("t") || text.startsWith("T"),
});

const CORE_SCHEMA = jsYaml.FAILSAFE_SCHEMA.extend({ implicit: [nothing, boolean, integer, float] });

/** A line that starts with `%`: a directive, or something else only the reader of record explains. */
const DIRECTIVE = /^%/m;
/**
 * What a key that is a collection needs: a flow collection right before a
 * colon, or an explicit `? ` key. Also found in some quoted strings, which
 * then take the slower read.
 */
const COLLECTION_KEY = /[\]}][ \t]*:(?:[ \t]|$)|^[ \t]*(?:- +)*\?(?:[ \t]|$)/m;

/** Keys the reader of record reads otherwise (refused, merged, or a null key's ""). */
const SPECIAL_KEYS = new Set(["__proto__", "<<", "null"]);

/**
 * The file's data when it is plain YAML this reader is sure of; undefined
 * for yaml-source.ts to read (and explain) instead.
 */
export function readPlainYaml(text: string): { value: unknown } | undefined {
  if (DIRECTIVE.test(text) || COLLECTION_KEY.test(text)) return undefined;
  let value: unknown;
  let warned = false;
  try {
    value = jsYaml.load(text, { schema: CORE_SCHEMA, onWarning: () => (warned = true) });
  } catch {
    return undefined;
  }
  if (warned || !treeOfFreshNodes(value)) return undefined;
  return { value };
}

/** Whether every collection is reached once (no aliases of collections) and no key is special. */
function treeOfFreshNodes(root: unknown): boolean {
  const seen = new Set<object>();
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node !== "object" || node === null) continue;
    if (seen.has(node)) return false;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const item of node) pending.push(item);
      continue;
    }
    for (const key of Object.keys(node)) {
      if (SPECIAL_KEYS.has(key)) return false;
      pending.push((node as Record<string, unknown>)[key]);
    }
  }
  return true;
}
