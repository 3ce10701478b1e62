/**
 * `.env` files: `KEY=VALUE` lines, `export` prefixes, `#` comments, single
 * quotes (literal), double quotes (with \n, \t, \" and \\ escapes). No
 * variable expansion and no command substitution: a value is only a value.
 */
import { fsErrorWords } from "../files/fs-error-words.js";

export interface DotenvEntry {
  key: string;
  value: string;
  line: number;
}

export type DotenvResult = { ok: true; entries: DotenvEntry[] } | { ok: false; errors: { line: number; message: string }[] };

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseDotenv(text: string): DotenvResult {
  const entries: DotenvEntry[] = [];
  const errors: { line: number; message: string }[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const body = trimmed.startsWith("export ") ? trimmed.slice(7).trimStart() : trimmed;
    const equals = body.indexOf("=");
    if (equals <= 0) {
      errors.push({ line, message: "expected KEY=VALUE" });
      return;
    }
    const key = body.slice(0, equals).trim();
    if (!KEY.test(key)) {
      // The text before = is not shown either: a line that is no KEY=VALUE may be a secret (a key's body, a URL).
      errors.push({ line, message: "what stands before = is not a variable name (letters, digits and _, not starting with a digit)" });
      return;
    }
    const value = parseValue(body.slice(equals + 1).trim());
    if (value === undefined) errors.push({ line, message: "unterminated quote" });
    else entries.push({ key, value, line });
  });
  return errors.length ? { ok: false, errors } : { ok: true, entries };
}

function parseValue(text: string): string | undefined {
  const quote = text[0];
  if (quote === "'" || quote === '"') {
    const end = text.indexOf(quote, 1);
    if (quote === "'") return end < 0 ? undefined : text.slice(1, end);
    let out = "";
    for (let i = 1; i < text.length; i++) {
      const char = text[i]!;
      if (char === '"') return out;
      if (char === "\\" && i + 1 < text.length) {
        const next = text[++i]!;
        out += next === "n" ? "\n" : next === "t" ? "\t" : next === "r" ? "\r" : next;
      } else out += char;
    }
    return undefined;
  }
  const comment = text.search(/\s#/);
  return (comment >= 0 ? text.slice(0, comment) : text).trim();
}

/** Why an env file could not be read, in words: "does not exist", "is a folder, not a file". */
export function envFileReadProblem(code: string | undefined): string {
  if (code === "ENOENT") return "does not exist";
  if (code === "ENOTDIR") return `does not exist (${fsErrorWords(code)})`;
  if (code === "EISDIR") return "is a folder, not a file";
  return `cannot be read: ${fsErrorWords(code)}`;
}

/** The most an env file may hold: a file of variables, not a device or a log that reading would not end. */
export const ENV_FILE_MAX_BYTES = 1024 * 1024;

/**
 * An env file's text, or why it cannot be one; at most ENV_FILE_MAX_BYTES.
 * A regular file is read whole. Anything else (a FIFO a secrets tool
 * writes, a device) is read only when a run is made (`special: "read"`),
 * through a stream that stops at the limit (/dev/zero would fill memory);
 * a check of the file skips it (`"skip"`: reading a FIFO would wait for its
 * writer, and validate with it).
 */
export async function readEnvFileText(path: string, special: "read" | "skip"): Promise<{ text: string } | { problem: string } | { skipped: true }> {
  const { readFile, stat } = await import("node:fs/promises");
  const tooBig = { problem: `holds more than ${ENV_FILE_MAX_BYTES / 1024 / 1024} MiB: an env file is a file of variables` };
  try {
    const info = await stat(path);
    if (info.isDirectory()) return { problem: envFileReadProblem("EISDIR") };
    if (info.isFile()) return info.size > ENV_FILE_MAX_BYTES ? tooBig : { text: await readFile(path, "utf8") };
    if (special === "skip") return { skipped: true };
    const text = await readCapped(path, ENV_FILE_MAX_BYTES);
    return text === undefined ? tooBig : { text };
  } catch (error) {
    return { problem: envFileReadProblem((error as NodeJS.ErrnoException).code) };
  }
}

/** The text of a stream of at most `max` bytes; undefined past that (the stream is closed then). */
async function readCapped(path: string, max: number): Promise<string | undefined> {
  const { createReadStream } = await import("node:fs");
  const chunks: Buffer[] = [];
  let total = 0;
  const stream = createReadStream(path);
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > max) {
      stream.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads an env file; errors name the file and line. */
export async function loadEnvFile(path: string): Promise<Record<string, string>> {
  const read = await readEnvFileText(path, "read");
  if ("problem" in read) throw new Error(`env_file ${path} ${read.problem}`);
  const text = "text" in read ? read.text : "";
  const parsed = parseDotenv(text);
  if (!parsed.ok) throw new Error(parsed.errors.map((error) => `${path}:${error.line}: ${error.message}`).join("\n"));
  return Object.fromEntries(parsed.entries.map((entry) => [entry.key, entry.value]));
}
