/**
 * The task log file format, and reading it back (the CLI and the API read
 * logs only through here).
 *
 * One line per captured line: `<epochMs> <o|e> <text>\n`. It is plain text
 * on purpose: cheap to append (no per-line JSON), readable with `less`, and
 * `grep` finds a string in it. Captured text never holds "\n" (output is
 * split there), so every file line is one record.
 */
import { open, type FileHandle } from "node:fs/promises";
import type { LogLine, LogStream } from "../exec/port.js";
import { READ_WITHOUT_WAITING } from "../files/regular-file.js";

export const STREAM_CODE = { stdout: "o", stderr: "e" } as const satisfies Record<LogStream, string>;

export function formatLogLine(ts: number, stream: LogStream, text: string): string {
  return `${ts} ${STREAM_CODE[stream]} ${text}\n`;
}

export function formatLogLines(lines: readonly LogLine[]): string {
  let text = "";
  for (const { ts, stream, line } of lines) text += formatLogLine(ts, stream, line);
  return text;
}

/** One file line (without its "\n") back into a LogLine; undefined when it is not one. */
export function parseLogLine(text: string): LogLine | undefined {
  const space = text.indexOf(" ");
  if (space <= 0 || text.length < space + 3 || text[space + 2] !== " ") return undefined;
  const code = text[space + 1];
  const stream: LogStream | undefined = code === "o" ? "stdout" : code === "e" ? "stderr" : undefined;
  if (stream === undefined) return undefined;
  const digits = text.slice(0, space);
  if (!/^\d+$/.test(digits)) return undefined;
  return { ts: Number(digits), stream, line: text.slice(space + 3) };
}

export interface ReadLogOptions {
  stream?: LogStream;
  /** Only lines with ts >= sinceTs. */
  sinceTs?: number;
  /** Byte offset to start at: 0, or a `nextOffset`/`endOffset` from an earlier call. */
  offset?: number;
  /** At most this many lines. */
  limit?: number;
}

export interface ReadLogResult {
  lines: LogLine[];
  /** Where to continue when `limit` stopped the read; null when everything up to the end was read. */
  nextOffset: number | null;
  /**
   * Byte offset just after the last complete line consumed. A follower
   * (`spire logs -f`, SSE) passes it as `offset` next time; a line still
   * being written (no "\n" yet) is left for then.
   */
  endOffset: number;
}

const READ_CHUNK = 256 * 1024;

/**
 * Bytes of a log by position: an open file (a FileHandle is one), or a copy
 * kept elsewhere (the shared store of several engines). Reads past the end
 * give fewer bytes, or none.
 */
export interface LogBytes {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/** Reads log lines from `file`; a missing file has no lines. */
export async function readLog(file: string, options: ReadLogOptions = {}): Promise<ReadLogResult> {
  const handle = await openIfThere(file);
  if (!handle) return { lines: [], nextOffset: null, endOffset: options.offset ?? 0 };
  try {
    return await readLogFrom(handle, options);
  } finally {
    await handle.close();
  }
}

/** Reads log lines from `bytes`, as readLog does from a file. */
export async function readLogFrom(bytes: LogBytes, options: ReadLogOptions = {}): Promise<ReadLogResult> {
  const start = options.offset ?? 0;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const lines: LogLine[] = [];
  let position = start; // offset of the first byte in `pending`
  let pending = Buffer.alloc(0);
  const chunk = Buffer.alloc(READ_CHUNK);
  for (;;) {
    const { bytesRead } = await bytes.read(chunk, 0, chunk.length, position + pending.length);
    if (bytesRead === 0) return { lines, nextOffset: null, endOffset: position };
    pending = pending.length === 0 ? Buffer.from(chunk.subarray(0, bytesRead)) : Buffer.concat([pending, chunk.subarray(0, bytesRead)]);
    let lineStart = 0;
    for (let newline = pending.indexOf(10); newline >= 0; newline = pending.indexOf(10, lineStart)) {
      const line = parseLogLine(pending.toString("utf8", lineStart, newline));
      lineStart = newline + 1;
      if (line !== undefined && wanted(line, options)) {
        lines.push(line);
        if (lines.length >= limit) {
          const after = position + lineStart;
          return { lines, nextOffset: after, endOffset: after };
        }
      }
    }
    position += lineStart;
    pending = pending.subarray(lineStart);
  }
}

/**
 * Whether `offset` is where a line of `file` starts: 0, or just after a "\n"
 * (so at most the file's size). Every offset readLog gives out is one; a
 * paging cursor that is not would read from the middle of a line.
 */
export async function atLineStart(file: string, offset: number): Promise<boolean> {
  if (offset === 0) return true;
  const handle = await openIfThere(file);
  if (!handle) return false;
  try {
    return await atLineStartOf(handle, offset);
  } finally {
    await handle.close();
  }
}

/** atLineStart, of `bytes`. */
export async function atLineStartOf(bytes: LogBytes, offset: number): Promise<boolean> {
  if (offset === 0) return true;
  const byte = Buffer.alloc(1);
  const { bytesRead } = await bytes.read(byte, 0, 1, offset - 1);
  return bytesRead === 1 && byte[0] === 10;
}

async function openIfThere(file: string): Promise<FileHandle | undefined> {
  try {
    return await open(file, READ_WITHOUT_WAITING);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function wanted(line: LogLine, options: ReadLogOptions): boolean {
  return (options.stream === undefined || line.stream === options.stream) && (options.sinceTs === undefined || line.ts >= options.sinceTs);
}
