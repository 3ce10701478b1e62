/**
 * The SPIRE_OUTPUT file: what a task leaves for the tasks after it.
 * The format is GitHub Actions' GITHUB_OUTPUT, so scripts written for one
 * work with the other:
 *
 *   KEY=VALUE
 *   KEY<<DELIMITER
 *   any lines,
 *   kept as they are
 *   DELIMITER
 */
import { statSync } from "node:fs";
import { open, rm, type FileHandle } from "node:fs/promises";
import { OUTPUT_KEY_PATTERN } from "./markers.js";
import { READ_WITHOUT_WAITING } from "../files/regular-file.js";

/** A larger file is read up to here and reported: outputs are meant to be small. */
export const MAX_OUTPUT_FILE_BYTES = 1024 * 1024;

export interface ParsedOutputs {
  outputs: Record<string, string>;
  /** What could not be read, each naming the line, for the task's log. */
  problems: string[];
}

export function parseOutputFile(text: string): ParsedOutputs {
  const outputs: Record<string, string> = {};
  const problems: string[] = [];
  const lines = text.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  if (lines.at(-1) === "") lines.pop();
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.trim() === "") continue;
    const lineNo = index + 1;
    const heredoc = line.indexOf("<<");
    const eq = line.indexOf("=");
    if (heredoc > 0 && (eq < 0 || heredoc < eq)) {
      const key = line.slice(0, heredoc).trim();
      const delimiter = line.slice(heredoc + 2);
      const end = lines.indexOf(delimiter, index + 1);
      if (delimiter === "") problems.push(`line ${lineNo}: ${key}<< needs a delimiter`);
      else if (end < 0) problems.push(`line ${lineNo}: ${key}<<${delimiter} is not closed by a line "${delimiter}"`);
      else if (!OUTPUT_KEY_PATTERN.test(key)) problems.push(`line ${lineNo}: "${key}" is not an output name (letters, digits, _ . -)`);
      else outputs[key] = lines.slice(index + 1, end).join("\n");
      if (end < 0) break;
      index = end;
    } else if (eq > 0) {
      const key = line.slice(0, eq).trim();
      if (OUTPUT_KEY_PATTERN.test(key)) outputs[key] = line.slice(eq + 1);
      else problems.push(`line ${lineNo}: "${key}" is not an output name (letters, digits, _ . -)`);
    } else {
      problems.push(`line ${lineNo}: expected KEY=VALUE or KEY<<DELIMITER`);
    }
  }
  return { outputs, problems };
}

/**
 * Reads the file, then removes it: its values may hold secrets, which are
 * kept only masked (in the task's outputs), never in clear on disk.
 */
export async function takeOutputFile(path: string): Promise<ParsedOutputs> {
  const parsed = await readOutputFile(path);
  // Nothing was there in the common case: no second look at the disk.
  if (Object.keys(parsed.outputs).length > 0 || parsed.problems.length > 0) await rm(path, { force: true }).catch(() => undefined);
  return parsed;
}

/**
 * Reads and parses the file; a missing file means no outputs.
 * The common case (no file) is answered by one synchronous stat: it runs
 * after every task, and a lookup that finds nothing is a few microseconds,
 * where a thread-pool round trip costs two wake-ups on the task's way to its end.
 */
export function readOutputFile(path: string): Promise<ParsedOutputs> {
  try {
    if (statSync(path, { throwIfNoEntry: false }) === undefined) return Promise.resolve({ outputs: {}, problems: [] });
  } catch (error) {
    return Promise.resolve({ outputs: {}, problems: [`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`] });
  }
  // Found (the rare case): read it with the promise API, which is simpler to bound.
  return readExisting(path);
}

async function readExisting(path: string): Promise<ParsedOutputs> {
  let handle: FileHandle;
  try {
    // A FIFO there would hold a thread for good: opened without waiting, and refused below.
    handle = await open(path, READ_WITHOUT_WAITING);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? { outputs: {}, problems: [] } : { outputs: {}, problems: [`cannot read ${path}: ${code ?? String(error)}`] };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { outputs: {}, problems: [`${path} is not a regular file (a FIFO or a device, say): it was not read`] };
    const { size } = info;
    const buffer = Buffer.alloc(Math.min(size, MAX_OUTPUT_FILE_BYTES));
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const parsed = parseOutputFile(buffer.toString("utf8", 0, filled));
    if (size > MAX_OUTPUT_FILE_BYTES) parsed.problems.push(`the file is larger than ${MAX_OUTPUT_FILE_BYTES} bytes; only the start was read`);
    return parsed;
  } catch (error) {
    return { outputs: {}, problems: [`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`] };
  } finally {
    await handle.close();
  }
}
