/**
 * Each pipeline's own lines of a definitions file (`pipelines: { name: … }`),
 * as written: comments, durations as `15m`, no defaults filled in. The UI
 * shows a pipeline's definition with these rather than the normalised one.
 *
 * Only block-style YAML has lines of its own per pipeline: a JSON or
 * flow-style file, one with custom tags (Gator) or one that does not parse
 * as plain YAML gives none, and callers fall back to the normalised
 * definition.
 */
import { isMap, isScalar, parseDocument, type Document } from "yaml";

/** A pipeline's lines of the file it came from. */
export interface PipelineSource {
  file: string;
  /** 1-based line of its first line in that file. */
  line: number;
  text: string;
}

export function pipelineSources(text: string, file: string, parsed?: Document): Map<string, PipelineSource> {
  const found = new Map<string, PipelineSource>();
  let document;
  try {
    // The document `text` was checked from, when the caller has it (a 1,000-task file: ~0.1 s to parse again).
    document = parsed ?? parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  } catch {
    return found;
  }
  if (document.errors.length > 0) return found;
  const pipelines = isMap(document.contents) ? document.contents.get("pipelines", true) : undefined;
  if (!isMap(pipelines) || pipelines.flow) return found;
  for (const pair of pipelines.items) {
    const key = pair.key;
    const valueEnd = (pair.value as { range?: [number, number, number] } | null)?.range?.[1];
    if (!isScalar(key) || typeof key.value !== "string" || !key.range || valueEnd === undefined) continue;
    const start = text.lastIndexOf("\n", key.range[0] - 1) + 1;
    found.set(key.value, { file, line: lineOf(text, start), text: dedent(text.slice(start, valueEnd).trimEnd()) });
  }
  return found;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let at = text.indexOf("\n"); at >= 0 && at < offset; at = text.indexOf("\n", at + 1)) line++;
  return line;
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
