/**
 * Each pipeline's own lines of a definitions file (`pipelines: { name: … }`),
 * as written: comments, durations as `15m`, no defaults filled in. The UI
 * shows a pipeline's definition with these rather than the normalised one.
 *
 * Found by the lines' indentation, not by parsing again (a 1,000-task file:
 * ~0.1 s to parse): a checked file's structure is known, so the scan only
 * has to find where each pipeline's key is, and it is trusted only when the
 * keys it finds are the file's pipelines, in order. Only block-style YAML
 * has lines of its own per pipeline: a JSON or flow-style file, keys with
 * anchors or tags, or anything else the scan does not follow give none, and
 * callers fall back to the normalised definition.
 */

/** A pipeline's lines of the file it came from. */
export interface PipelineSource {
  file: string;
  /** 1-based line of its first line in that file. */
  line: number;
  text: string;
}

interface Line {
  start: number;
  end: number;
  indent: number;
  /** The line without its indentation and line break. */
  content: string;
}

interface Entry {
  key: string;
  first: number;
  last: number;
}

/** `key: |`, `- >-`, `key: |2  # comment`: the next, deeper lines are a block scalar's text, `#` lines too. */
const BLOCK_SCALAR_START = /(?:^-|:)[ \t]+[|>][0-9+-]*[ \t]*(?:#.*)?$/;

/** `names`: the checked file's pipelines (its `pipelines` keys). */
export function pipelineSources(text: string, file: string, names: readonly string[]): Map<string, PipelineSource> {
  const found = new Map<string, PipelineSource>();
  const lines = linesOf(text);
  const entries = pipelineEntries(lines);
  const wanted = new Set(names);
  if (entries === undefined || entries.length !== wanted.size || !entries.every((entry) => wanted.delete(entry.key))) return found;
  for (const entry of entries) {
    const own = text.slice(lines[entry.first]!.start, lines[entry.last]!.end).trimEnd();
    found.set(entry.key, { file, line: entry.first + 1, text: dedent(own) });
  }
  return found;
}

/** Each entry of the top-level block mapping `pipelines:`, from its key's line to its last line of content. */
function pipelineEntries(lines: readonly Line[]): Entry[] | undefined {
  const top = lines.findIndex((line) => line.indent === 0 && /^pipelines:[ \t]*(?:#.*)?$/.test(line.content));
  if (top < 0) return undefined;
  const entries: Entry[] = [];
  let entryIndent: number | undefined;
  let blockScalarIndent: number | undefined;
  for (let index = top + 1; index < lines.length; index++) {
    const line = lines[index]!;
    const blank = line.content === "";
    if (blockScalarIndent !== undefined) {
      if (blank) continue;
      if (line.indent > blockScalarIndent) {
        entries[entries.length - 1]!.last = index;
        continue;
      }
      blockScalarIndent = undefined;
    }
    if (blank) continue;
    if (line.content.startsWith("#")) {
      // Comments right under a pipeline's last line, deeper than its name (a task commented out), are its own.
      const entry = entries[entries.length - 1];
      if (entry !== undefined && entry.last === index - 1 && line.indent > entryIndent!) entry.last = index;
      continue;
    }
    // The next top-level key, or the document's end.
    if (line.indent === 0) break;
    entryIndent ??= line.indent;
    if (line.indent < entryIndent) return undefined;
    if (line.indent === entryIndent) {
      const key = entryKey(line.content);
      if (key === undefined) return undefined;
      entries.push({ key, first: index, last: index });
    } else entries[entries.length - 1]!.last = index;
    if (BLOCK_SCALAR_START.test(line.content)) blockScalarIndent = line.indent;
  }
  return entries;
}

/** The key a mapping entry's line starts with: plain, or quoted; undefined for anything else (`? `, anchors, tags, flow keys). */
function entryKey(content: string): string | undefined {
  const double = /^"((?:[^"\\]|\\.)*)"[ \t]*:(?:[ \t]|$)/.exec(content);
  if (double) {
    try {
      return JSON.parse(`"${double[1]}"`) as string;
    } catch {
      return undefined;
    }
  }
  const single = /^'((?:[^']|'')*)'[ \t]*:(?:[ \t]|$)/.exec(content);
  if (single) return single[1]!.replace(/''/g, "'");
  const plain = /^([^\s#'"?&*!|>%@`{}[\],-][^#]*?)[ \t]*:(?:[ \t]|$)/.exec(content);
  return plain?.[1];
}

function linesOf(text: string): Line[] {
  const lines: Line[] = [];
  for (let start = 0; start <= text.length; ) {
    const newline = text.indexOf("\n", start);
    const end = newline < 0 ? text.length : newline;
    const raw = text.slice(start, end).replace(/\r$/, "");
    const indent = /^[ ]*/.exec(raw)![0].length;
    lines.push({ start, end, indent, content: raw.slice(indent).trimEnd() });
    if (newline < 0) break;
    start = newline + 1;
  }
  return lines;
}

/** Without the indentation of its first line (the pipeline's name), so it reads as a document of its own. */
function dedent(lines: string): string {
  const indent = /^[ ]*/.exec(lines)![0].length;
  if (indent === 0) return lines;
  return lines
    .split("\n")
    .map((line) => (line.startsWith(" ".repeat(indent)) ? line.slice(indent) : line.trimStart()))
    .join("\n");
}
