/**
 * Reads definitions YAML safely: one document, no custom tags, a bounded
 * number of alias expansions (an "alias bomb" is refused rather than
 * expanded), no duplicate keys, and no `__proto__` keys, which JavaScript
 * objects cannot hold as data. Every problem is reported with its position.
 *
 * Tags are refused by default; an importer (e.g. Gator's `!Job`) passes its
 * own `customTags`, and its tagged nodes then resolve like any other.
 *
 * A plain, valid file is read by yaml-plain.ts, much faster; its Document
 * is then built only if a place in it is asked for (an error found later).
 */
import type { Document, DocumentOptions, ParseOptions, SchemaOptions, Tags } from "yaml";
import type { DefinitionError } from "./errors.js";
import { formatKeyPath } from "./errors.js";
import { noDocument, SourceMap } from "./positions.js";
import { readPlainYaml } from "./yaml-plain.js";
import { newLineCounter, yamlLibrary } from "./yaml-library.js";
import { quote, quotedLine, quoteHint, type QuotedLine } from "./quote-hint.js";

export const MAX_DEFINITIONS_BYTES = 5 * 1024 * 1024;
/** Enough for any hand-written file; an alias bomb needs thousands. */
export const MAX_ALIAS_COUNT = 100;

export interface YamlOptions {
  /** Tags this reader understands (none by default: an unknown tag is an error). */
  customTags?: Tags;
  /** How the file was given, for hints about the file itself: with -f (the default), or as a path of its own (spire convert FILE, startEngine({ definitions })). */
  givenAs?: "-f" | "path";
}

export interface YamlSource {
  /** The document as plain data; undefined when it could not be built. */
  value: unknown;
  map: SourceMap;
  errors: DefinitionError[];
  /** False when the syntax is broken, so the data cannot be trusted for further checks. */
  wellFormed: boolean;
  /** Key paths of nodes with an unknown tag: their content was meant for another reader. */
  unknownTagPaths: string[];
}

/** Problems that leave the data as the user meant it, so validation can still go on. */
const RECOVERABLE = new Set(["DUPLICATE_KEY"]);
/** Syntax errors that an unquoted value with `: `, `@`, `[`, a quoted part and more… makes (see quote-hint.ts). */
const UNQUOTED_VALUE = new Set(["BLOCK_AS_IMPLICIT_KEY", "UNEXPECTED_TOKEN", "BAD_SCALAR_START"]);
const MAX_QUOTE_LOOKS = 20;

export function readYaml(text: string, file: string, options: YamlOptions = {}): YamlSource {
  const at = (map: SourceMap, offset: number, message: string, extra: Partial<DefinitionError> = {}): DefinitionError => ({
    file,
    ...map.position(offset),
    keyPath: formatKeyPath(map.pathAt(offset)),
    message,
    ...extra,
  });

  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_DEFINITIONS_BYTES) {
    const map = new SourceMap(noDocument);
    return { value: undefined, map, wellFormed: false, errors: [tooBig(file, bytes)], unknownTagPaths: [] };
  }

  // A NUL byte: a program, an archive, an image — no definitions file; said so, without its bytes on the terminal.
  if (text.includes("\0")) {
    const map = new SourceMap(noDocument);
    return { value: undefined, map, wellFormed: false, errors: [notText(file, options.givenAs ?? "-f")], unknownTagPaths: [] };
  }

  // uniqueKeys off: yaml compares each key with every earlier key of its mapping (quadratic: minutes for a
  // 1 MB mapping); duplicates are found below with one set per mapping instead.
  const parsing: ParseOptions & DocumentOptions & SchemaOptions = { prettyErrors: false, uniqueKeys: false, merge: true, strict: true, customTags: options.customTags ?? [] };
  const parse = () => {
    const lines = newLineCounter();
    const docs = yamlLibrary().parseAllDocuments(text, { ...parsing, lineCounter: lines });
    return { docs, doc: docs[0] as Document | undefined, lines };
  };
  // A file read with another tool's tags (Gator's) is this reader's alone.
  const plain = (options.customTags ?? []).length === 0 ? readPlainYaml(text) : undefined;
  if (plain !== undefined) return { value: plain.value, map: new SourceMap(parse), errors: [], wellFormed: true, unknownTagPaths: [] };

  const { docs, doc, lines } = parse();
  const map = new SourceMap({ doc, lines });
  if (doc === undefined) {
    return { value: null, map, wellFormed: true, errors: [], unknownTagPaths: [] };
  }

  const errors: DefinitionError[] = [];
  let wellFormed = true;
  const hintedLines = new Set<number>();
  let looks = 0;
  for (const error of doc.errors) {
    if (!RECOVERABLE.has(error.code)) wellFormed = false;
    if (hintedLines.has(map.position(error.pos[0]).line)) continue;
    // Each look reads the file again: a file broken on every line gets hints on its first lines only.
    const candidate = UNQUOTED_VALUE.has(error.code) && looks++ < MAX_QUOTE_LOOKS ? quotedLine(text, error.pos[0]) : undefined;
    const quoted = candidate !== undefined && quotingMends(text, candidate, parsing) ? candidate : undefined;
    if (error.code === "DUPLICATE_KEY") errors.push(duplicateKey(at(map, error.pos[0], ""), doc, error.pos[0]));
    else if (quoted !== undefined) {
      // One mistake often makes several errors on its line; the first says it, with the fix.
      hintedLines.add(map.position(error.pos[0]).line);
      const message = error.code === "BLOCK_AS_IMPLICIT_KEY" ? 'YAML syntax: ": " inside a plain value starts a mapping' : syntaxMessage(error.message);
      const keyPath = quoted.keyOffset === undefined ? {} : { keyPath: formatKeyPath(map.pathAt(quoted.keyOffset)) };
      errors.push({ ...at(map, error.pos[0], message, { hint: quoteHint(quoted) }), ...keyPath });
    } else errors.push(at(map, unclosedQuoteStart(doc, error.code, error.pos[0]) ?? error.pos[0], syntaxMessage(error.message)));
  }
  const unknownTagPaths: string[] = [];
  for (const warning of doc.warnings) {
    if (warning.code !== "TAG_RESOLVE_FAILED") continue;
    const error = at(map, warning.pos[0], unknownTagMessage(warning.message), { hint: TAG_HINT });
    errors.push(error);
    unknownTagPaths.push(error.keyPath);
  }
  const extra = docs[1];
  if (extra !== undefined) {
    const offset = extra.range[0];
    errors.push({
      ...at(map, offset, "a definitions file holds one YAML document; this is a second one"),
      keyPath: "",
      hint: "merge the documents into one, or put each into its own file",
    });
  }
  const keys = keyProblems(doc);
  for (const offset of keys.duplicates) errors.push(duplicateKey(at(map, offset, ""), doc, offset));
  for (const offset of keys.proto) {
    errors.push({
      ...at(map, offset, "`__proto__` cannot be used as a key or name"),
      hint: "rename it; `__proto__` is reserved in JavaScript and would be lost",
    });
  }

  let value: unknown;
  if (wellFormed) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      wellFormed = false;
      errors.push(aliasError(error, doc, map, file, text));
    }
  }
  return { value, map, errors, wellFormed, unknownTagPaths };
}

/**
 * Whether the line, quoted, reads without errors. An error on a line can
 * also come from an earlier one (a `{` left open swallows what follows):
 * quoting is the fix only when it is.
 */
function quotingMends(text: string, line: QuotedLine, parsing: ParseOptions & DocumentOptions & SchemaOptions): boolean {
  const mended = yamlLibrary().parseDocument(`${text.slice(0, line.start)}${line.replacement}${text.slice(line.end)}`, parsing);
  const end = line.start + line.replacement.length;
  return !mended.errors.some((error) => error.pos[0] >= line.start && error.pos[0] <= end);
}

/** The error for a file over the size limit (also used before reading a file from disk). */
function notText(file: string, givenAs: "-f" | "path"): DefinitionError {
  const hint = givenAs === "-f" ? "give the definitions file (spire.yaml) with -f" : "give the definitions file itself";
  return { file, line: 0, column: 0, keyPath: "", message: "this is not a text file (it holds NUL bytes): a definitions file is YAML or JSON text", hint };
}

export function tooBig(file: string, bytes: number): DefinitionError {
  const mib = (bytes / 1024 / 1024).toFixed(1);
  return {
    file,
    line: 1,
    column: 1,
    keyPath: "",
    message: `the file is ${mib} MiB; definitions files are limited to ${MAX_DEFINITIONS_BYTES / 1024 / 1024} MiB`,
    hint: "split it into several files (one namespace each), or move data out of it",
  };
}

/**
 * An unclosed quote is noticed where the file ends; the user needs to see
 * where the string began.
 */
function unclosedQuoteStart(doc: Document, code: string, offset: number): number | undefined {
  if (code !== "MISSING_CHAR") return undefined;
  let start: number | undefined;
  yamlLibrary().visit(doc, {
    Scalar(_key, node) {
      const quoted = node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE";
      if (quoted && node.range && node.range[0] < offset && node.range[1] >= offset) start = node.range[0];
    },
  });
  return start;
}

function syntaxMessage(message: string): string {
  return `YAML syntax: ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
}

const TAG_HINT = "definitions files are plain YAML: remove the tag (custom tags such as !Job or !!js/function are not run)";

function unknownTagMessage(message: string): string {
  const tag = message.replace(/^Unresolved tag:\s*/, "").replace(/^tag:yaml\.org,2002:/, "!!");
  return `unknown YAML tag \`${tag}\``;
}

function duplicateKey(base: DefinitionError, doc: Document, offset: number): DefinitionError {
  let name = "";
  yamlLibrary().visit(doc, {
    Scalar(_key, node) {
      if (node.range?.[0] === offset) name = String(node.value);
    },
  });
  return {
    ...base,
    message: name === "" ? "duplicate key" : `duplicate key \`${name}\``,
    hint: "a key may appear once in a mapping: merge the two entries or rename one",
  };
}

/** Where a key repeats an earlier key of its mapping (as JavaScript sees keys: `1` and `"1"` are one). */
/**
 * Where keys repeat within a mapping (yaml's own check is quadratic, see
 * above), and where a key is `__proto__`, which would be dropped (or worse)
 * when the YAML becomes JavaScript data: refused visibly. One walk of the
 * document for both (a file of 1,000 tasks: each walk ~4 ms).
 */
function keyProblems(doc: Document): { duplicates: number[]; proto: number[] } {
  const duplicates: number[] = [];
  const proto: number[] = [];
  yamlLibrary().visit(doc, {
    Map(_key, node) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!yamlLibrary().isScalar(pair.key) || pair.key.range === undefined || pair.key.range === null) continue;
        const key = String(pair.key.value);
        if (seen.has(key)) duplicates.push(pair.key.range[0]);
        seen.add(key);
      }
    },
    Pair(_key, pair) {
      if (yamlLibrary().isScalar(pair.key) && pair.key.value === "__proto__" && pair.key.range) proto.push(pair.key.range[0]);
    },
  });
  return { duplicates, proto };
}

function aliasError(error: unknown, doc: Document, map: SourceMap, file: string, text: string): DefinitionError {
  const message = error instanceof Error ? error.message : String(error);
  // Point at the alias named in the message (an unknown anchor), else at the first alias.
  const named = /: (\S+)$/.exec(message)?.[1];
  let offset: number | undefined;
  yamlLibrary().visit(doc, {
    Alias(_key, node) {
      if (node.range && (offset === undefined || node.source === named)) offset = node.range[0];
      if (node.source === named) return yamlLibrary().visit.BREAK;
      return undefined;
    },
  });
  offset ??= 0;
  const excessive = /excessive alias count/i.test(message);
  return {
    file,
    ...map.position(offset),
    keyPath: formatKeyPath(map.pathAt(offset)),
    message: excessive
      ? `too many alias expansions (more than ${MAX_ALIAS_COUNT}); refusing a file that grows exponentially when read`
      : /Merge sources must be maps/.test(message)
        ? "`<<:` merges a mapping into this one: it takes an alias of an anchored mapping (<<: *defaults, with &defaults on a mapping above), and the alias here names no such mapping"
        : `YAML aliases: ${message}`,
    ...(excessive ? { hint: "write the repeated parts out, or use fewer nested aliases" } : named === undefined ? {} : { hint: unknownAliasHint(text, offset, named) }),
  };
}

/** `*.log` meant as a file pattern: YAML reads it as an alias of an anchor `.log`. */
function unknownAliasHint(text: string, offset: number, name: string): string {
  const line = quotedLine(text, offset);
  return line !== undefined ? `a value starting with * is read as an alias; ${quoteHint(line)}` : `a value starting with * is read as an alias; quote it: ${quote(`*${name}`)}`;
}

