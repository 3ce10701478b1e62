/**
 * Where `-f` reads definitions from: a file, stdin (`-f -`) or a URL
 * (`-f https://…`, Supertask's pre-seeding from remote resources). Stdin and
 * URLs are read here, whole and size-limited, into text that is then loaded
 * like a file's; a read that fails becomes one located error, as for a file.
 */
import { MAX_DEFINITIONS_BYTES, tooBig } from "../yaml-source.js";
import type { DefinitionError } from "../errors.js";
import { fetchDefinitions } from "./fetch-definitions.js";

/** What `-f -` is called in errors. */
export const STDIN_NAME = "<stdin>";

export type DefinitionsInput =
  | { kind: "file"; path: string }
  | { kind: "stdin"; name: string; text: string }
  /** `name`: the URL as errors and the namespace's origin show it (no query string: it may hold a token). */
  | { kind: "url"; name: string; text: string };

export interface InputOptions {
  /** `--allow-http-file`: a plain http:// URL is fetched too. */
  allowHttp?: boolean;
  /** For tests; default process.stdin. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** True for what `-f` takes as a URL rather than a file name. */
export function isDefinitionsUrl(given: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(given);
}

/** The text behind `given`, or (for a file) its path to read; an error when stdin or the URL cannot be read. */
export async function readDefinitionsInput(given: string, options: InputOptions = {}): Promise<DefinitionsInput | DefinitionError> {
  if (given === "-") return readStdin(options.stdin ?? process.stdin);
  if (isDefinitionsUrl(given)) return fetchDefinitions(given, options.allowHttp === true);
  return { kind: "file", path: given };
}

async function readStdin(stdin: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<DefinitionsInput | DefinitionError> {
  if (stdin.isTTY) {
    return wholeInputError(STDIN_NAME, "-f - reads the definitions from stdin, which is a terminal here", "pipe them in, e.g. cat spire.yaml | spire validate -f -");
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    bytes += buffer.length;
    // Counted on: the rest is not kept once it cannot fit.
    if (bytes > MAX_DEFINITIONS_BYTES) continue;
    chunks.push(buffer);
  }
  if (bytes > MAX_DEFINITIONS_BYTES) return tooBig(STDIN_NAME, bytes);
  return { kind: "stdin", name: STDIN_NAME, text: Buffer.concat(chunks).toString("utf8") };
}

/** An error about the input as a whole (line 0: no place in it). */
export function wholeInputError(name: string, message: string, hint?: string): DefinitionError {
  return { file: name, line: 0, column: 0, keyPath: "", message, ...(hint === undefined ? {} : { hint }) };
}
