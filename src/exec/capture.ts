/**
 * What happens to each line a task prints: split, timestamp, mask, read
 * markers, keep the tail, and batch into the log.
 *
 * The hot path is one call per chunk read from a pipe, and works on the
 * bytes: one timestamp per chunk (every line in it was read at that
 * moment), newlines found with indexOf, and each line copied into one
 * log batch (LogBatch) with a single append per chunk. A line becomes a
 * JS string only when something must read it: a listener, a pattern, a
 * possible marker ("::" first), a secret's bytes found in it, or the last
 * lines kept as the tail (decoded when the tail is read, see LogTail).
 */
import { isUtf8 } from "node:buffer";
import { MAX_LINE_BYTES, TAIL_LINES, type AttemptReport, type LaunchEvents, type LogLine, type LogStream } from "./port.js";
import { formatLogLine } from "../logs/log-file.js";
import { LogBatch } from "./log-batch.js";
import { LogTail } from "./log-tail.js";
import { Masker } from "./masking.js";
import { MetricAggregator, mayBeMarker, mayBeMarkerBytes, parseMarker } from "./markers.js";
import { MessageLog } from "./messages.js";
import { PARSER_NAMES, type ParserName } from "./parsers/names.js";
import { ParserCounts, toolParser } from "./parsers/tool-parser.js";
import type { LogWriter } from "./log-writer.js";
import { outputPattern } from "../definitions/output-patterns.js";

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const NOTHING = Buffer.alloc(0);

export interface CaptureOptions {
  secrets: string[];
  warnPattern?: string;
  errorPattern?: string;
  /** A tool's format (`parser:`): its warnings and errors counted its own way, besides the markers and patterns. */
  parser?: string;
}

export class OutputCapture {
  readonly #writer: LogWriter;
  readonly #events: LaunchEvents;
  readonly #masker: Masker;
  readonly #warnPattern: RegExp | undefined;
  readonly #errorPattern: RegExp | undefined;
  readonly #parser: ParserCounts | undefined;
  /** Every line must be read as text (a listener or a pattern wants it). */
  readonly #readEveryLine: boolean;
  /** The bytes of each stream's unfinished line. */
  readonly #partial: Record<LogStream, Buffer> = { stdout: NOTHING, stderr: NOTHING };
  readonly #tail = new LogTail(TAIL_LINES);
  /** Whether the chunk being handled may hold a secret: when not, no line of it is searched. */
  #secretsInChunk = false;
  readonly metrics = new MetricAggregator();
  readonly markerOutputs: Record<string, string> = {};
  /** The texts of the first warnings and errors (the counts below count them all). */
  readonly messages = new MessageLog();
  /** Counted from markers, patterns and Spire's own warnings; the parser's are added when asked. */
  #warnings = 0;
  #errors = 0;
  /** When the last line was stamped: the attempt's end is never put before it (its exit can be seen before its pipes are drained). */
  lastStampAt = 0;

  constructor(options: CaptureOptions, writer: LogWriter, events: LaunchEvents) {
    this.#writer = writer;
    this.#events = events;
    this.#masker = new Masker(options.secrets);
    this.#warnPattern = this.#compile("warn_pattern", options.warnPattern);
    this.#errorPattern = this.#compile("error_pattern", options.errorPattern);
    this.#parser = this.#parserFor(options.parser);
    this.#readEveryLine = events.onLine !== undefined || this.#warnPattern !== undefined || this.#errorPattern !== undefined || this.#parser !== undefined;
  }

  get warnings(): number {
    return this.#warnings + (this.#parser?.warnings ?? 0);
  }

  get errors(): number {
    return this.#errors + (this.#parser?.errors ?? 0);
  }

  #now(): number {
    return (this.lastStampAt = Date.now());
  }

  /** A chunk as read from the task's stdout or stderr (bytes, or text already decoded). */
  push(stream: LogStream, chunk: Buffer | string): void {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    if (bytes.length === 0) return;
    const ts = this.#now();
    let partial = this.#partial[stream];
    const batch = new LogBatch(ts, stream, partial.length + bytes.length);
    const lastNewline = bytes.lastIndexOf(NEWLINE);
    let start = 0;
    if (lastNewline >= 0) {
      if (partial.length > 0) {
        // The unfinished line ends in this chunk: only it is copied.
        const firstNewline = bytes.indexOf(NEWLINE);
        const line = wholeCharacters(Buffer.concat([partial, bytes.subarray(0, firstNewline)]));
        this.#secretsInChunk = this.#masker.active && this.#masker.occursIn(line);
        this.#completeLine(batch, ts, stream, line, 0, line.length);
        partial = NOTHING;
        start = firstNewline + 1;
      }
      if (start <= lastNewline) {
        const lines = wholeCharacters(bytes.subarray(start, lastNewline + 1));
        this.#secretsInChunk = this.#masker.active && this.#masker.occursIn(lines);
        for (let from = 0; from < lines.length; ) {
          // Ordinary lines need nothing but copying: in bulk.
          if (!this.#readEveryLine && !this.#secretsInChunk) {
            from = batch.addLines(lines, from, lines.length, MAX_LINE_BYTES, this.#tail);
            if (from === lines.length) break;
          }
          const newline = lines.indexOf(NEWLINE, from);
          this.#completeLine(batch, ts, stream, lines, from, newline);
          from = newline + 1;
        }
      }
      start = lastNewline + 1;
    }
    if (start < bytes.length) partial = partial.length === 0 ? bytes.subarray(start) : Buffer.concat([partial, bytes.subarray(start)]);
    // A line with no end in sight (a progress bar drawn with \r) is cut, so memory stays bounded. A piece
    // is cut only once more than one byte follows it: the line's end may yet be a "\r\n", which is not kept.
    let cutFrom = 0;
    while (partial.length - cutFrom > MAX_LINE_BYTES + 1) {
      const cut = characterStart(partial, cutFrom + MAX_LINE_BYTES);
      const piece = wholeCharacters(partial.subarray(cutFrom, cut));
      this.#secretsInChunk = this.#masker.active;
      this.#takeBytes(batch, ts, stream, piece, 0, piece.length);
      cutFrom = cut;
    }
    this.#partial[stream] = cutFrom === 0 ? partial : partial.subarray(cutFrom);
    this.#writer.append(batch.take());
  }

  /** The stream ended: its last line may have had no "\n". */
  end(stream: LogStream): void {
    const rest = this.#partial[stream];
    this.#partial[stream] = NOTHING;
    if (rest.length === 0) return;
    const ts = this.#now();
    const line = wholeCharacters(rest);
    const batch = new LogBatch(ts, stream, line.length);
    this.#secretsInChunk = this.#masker.active;
    this.#cutLine(batch, ts, stream, line, 0, line.length);
    this.#writer.append(batch.take());
  }

  /** A line from Spire itself (why a task could not start, unreadable outputs), logged like the task's own. */
  note(stream: LogStream, text: string): void {
    let batch = "";
    for (const line of text.split("\n")) {
      const ts = this.#now();
      batch += formatLogLine(ts, stream, this.#takeLine(ts, stream, line));
    }
    this.#writer.append(batch);
  }

  /** A warning from Spire itself about the task (an unreadable SPIRE_OUTPUT line): logged, counted and kept like the task's own. */
  warn(stream: LogStream, text: string): void {
    this.note(stream, text);
    this.#warnings++;
    this.messages.add("warning", this.mask(text), this.#now(), stream);
  }

  mask(text: string): string {
    return this.#masker.active ? this.#masker.mask(text) : text;
  }

  tail(): LogLine[] {
    return this.#tail.lines();
  }

  /** The report's `messages` field: present only when some were kept (reports stay small for the many tasks that warn of nothing). */
  keptMessages(): Pick<AttemptReport, "messages"> {
    const { messages } = this.messages;
    return messages.length > 0 ? { messages } : {};
  }

  /** A line that ended with "\n" at `end`: one "\r" before it is not kept. */
  #completeLine(batch: LogBatch, ts: number, stream: LogStream, bytes: Buffer, start: number, end: number): void {
    if (end > start && bytes[end - 1] === CARRIAGE_RETURN) end--;
    this.#cutLine(batch, ts, stream, bytes, start, end);
  }

  /** Cuts a line longer than MAX_LINE_BYTES into pieces. */
  #cutLine(batch: LogBatch, ts: number, stream: LogStream, bytes: Buffer, start: number, end: number): void {
    while (end - start > MAX_LINE_BYTES) {
      const cut = characterStart(bytes, start + MAX_LINE_BYTES);
      this.#takeBytes(batch, ts, stream, bytes, start, cut);
      start = cut;
    }
    this.#takeBytes(batch, ts, stream, bytes, start, end);
  }

  /** One line in bytes: copied as it is unless something must read it as text. */
  #takeBytes(batch: LogBatch, ts: number, stream: LogStream, bytes: Buffer, start: number, end: number): void {
    const asText =
      this.#readEveryLine || mayBeMarkerBytes(bytes, start, end) || (this.#secretsInChunk && this.#masker.occursIn(bytes, start, end));
    if (!asText) {
      batch.addBytes(bytes, start, end);
      this.#tail.addBytes(ts, stream, bytes, start, end);
      return;
    }
    const raw = bytes.toString("utf8", start, end);
    const line = this.#takeLine(ts, stream, raw);
    if (line === raw) batch.addBytes(bytes, start, end);
    else batch.addText(line);
  }

  /** Handles one complete line read as text; returns it as it is logged (masked). */
  #takeLine(ts: number, stream: LogStream, raw: string): string {
    let severity = 0; // 0 none, 1 warning, 2 error: a line counts once, as the worse of what it matches
    let marker = mayBeMarker(raw) ? parseMarker(raw) : undefined;
    // A mask applies from its own line on: the line announcing it must not show the value.
    if (marker?.kind === "add-mask") {
      this.#masker.add(marker.value);
      this.#secretsInChunk = this.#masker.active; // the value may be in any later line of the chunk
    }
    const line = this.mask(raw);
    // Marker values are read from the masked line, so outputs and metric names never carry a secret.
    if (marker !== undefined && line !== raw) marker = parseMarker(line);
    if (marker !== undefined) severity = this.#applyMarker(marker);
    if (severity < 2 && this.#errorPattern?.test(line)) severity = 2;
    if (severity < 1 && this.#warnPattern?.test(line)) severity = 1;
    if (severity > 0) {
      if (severity === 2) this.#errors++;
      else this.#warnings++;
      // A marker's text is what it says; a line a pattern counted is kept whole.
      const text = marker?.kind === "warning" || marker?.kind === "error" ? marker.text : line;
      this.messages.add(severity === 2 ? "error" : "warning", text, ts, stream);
    }
    // The parser reads every line (a summary may follow anything); a line counted above counts once.
    const parsed = this.#parser?.read(line, severity > 0);
    if (parsed !== undefined) this.messages.add(parsed.level, parsed.text, ts, stream);
    this.#tail.addText(ts, stream, line);
    this.#events.onLine?.({ ts, stream, line });
    return line;
  }

  /** Returns the severity the marker gives its line. */
  #applyMarker(marker: NonNullable<ReturnType<typeof parseMarker>>): number {
    switch (marker.kind) {
      case "warning":
        return 1;
      case "error":
        return 2;
      case "metric":
        this.metrics.add(marker.name, marker.value);
        return 0;
      case "progress":
        this.#events.onProgress?.(marker.done, marker.total);
        return 0;
      case "output":
        this.markerOutputs[marker.key] = marker.value;
        return 0;
      case "add-mask":
        return 0;
    }
  }

  #parserFor(name: string | undefined): ParserCounts | undefined {
    if (name === undefined) return undefined;
    if (!(PARSER_NAMES as readonly string[]).includes(name)) {
      // Definitions are checked before they run: only an engine newer than this executor (a worker) gets here.
      this.note("stderr", `spire: ignoring parser ${JSON.stringify(name)}: this executor knows ${PARSER_NAMES.join(", ")}`);
      return undefined;
    }
    return new ParserCounts(toolParser(name as ParserName));
  }

  #compile(what: string, pattern: string | undefined): RegExp | undefined {
    if (pattern === undefined || pattern === "") return undefined;
    try {
      return outputPattern(pattern);
    } catch (error) {
      this.note("stderr", `spire: ignoring ${what} ${JSON.stringify(pattern)}: ${(error as Error).message}`);
      return undefined;
    }
  }
}

/** `at`, or the start of the UTF-8 character `at` falls inside (at most 3 bytes back). */
function characterStart(bytes: Buffer, at: number): number {
  for (let back = 0; back < 3 && (bytes[at - back]! & 0xc0) === 0x80; back++) {
    if ((bytes[at - back - 1]! & 0xc0) !== 0x80) return at - back - 1;
  }
  return at;
}

/** Bytes that are not UTF-8 become U+FFFD, as a text decoder reading the pipe would make them. */
function wholeCharacters(bytes: Buffer): Buffer {
  return isUtf8(bytes) ? bytes : Buffer.from(bytes.toString("utf8"), "utf8");
}
