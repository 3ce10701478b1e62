/**
 * What happens to each line a task prints: split, timestamp, mask, read
 * markers, keep the tail, and batch into the log.
 *
 * The hot path is one call per chunk read from a pipe: it takes one
 * timestamp (every line in a chunk was read at that moment), does one
 * string split and one log append. Nothing here allocates a timer or
 * serialises JSON per line.
 */
import type { LaunchEvents, LogLine, LogStream } from "./port.js";
import { formatLogLine } from "./log-file.js";
import { Masker } from "./masking.js";
import { MetricAggregator, mayBeMarker, parseMarker } from "./markers.js";
import type { LogWriter } from "./log-writer.js";

/** A longer line is cut into pieces of this many characters. */
export const MAX_LINE_CHARS = 64 * 1024;
export const TAIL_LINES = 20;

export interface CaptureOptions {
  secrets: string[];
  warnPattern?: string;
  errorPattern?: string;
}

export class OutputCapture {
  readonly #writer: LogWriter;
  readonly #events: LaunchEvents;
  readonly #masker: Masker;
  readonly #warnPattern: RegExp | undefined;
  readonly #errorPattern: RegExp | undefined;
  readonly #partial: Record<LogStream, string> = { stdout: "", stderr: "" };
  readonly #tail: LogLine[] = [];
  readonly metrics = new MetricAggregator();
  readonly markerOutputs: Record<string, string> = {};
  warnings = 0;
  errors = 0;

  constructor(options: CaptureOptions, writer: LogWriter, events: LaunchEvents) {
    this.#writer = writer;
    this.#events = events;
    this.#masker = new Masker(options.secrets);
    this.#warnPattern = this.#compile("warn_pattern", options.warnPattern);
    this.#errorPattern = this.#compile("error_pattern", options.errorPattern);
  }

  /** A chunk as read from the task's stdout or stderr (already decoded). */
  push(stream: LogStream, chunk: string): void {
    const ts = Date.now();
    const pieces = (this.#partial[stream] + chunk).split("\n");
    this.#partial[stream] = pieces.pop()!;
    let batch = "";
    for (const piece of pieces) batch += this.#takeLine(ts, stream, piece.endsWith("\r") ? piece.slice(0, -1) : piece);
    // A line with no end in sight (a progress bar drawn with \r) is cut, so memory stays bounded.
    while (this.#partial[stream].length >= MAX_LINE_CHARS) {
      const long = this.#partial[stream];
      batch += this.#takeLine(ts, stream, long.slice(0, MAX_LINE_CHARS));
      this.#partial[stream] = long.slice(MAX_LINE_CHARS);
    }
    this.#writer.append(batch);
  }

  /** The stream ended: its last line may have had no "\n". */
  end(stream: LogStream): void {
    const rest = this.#partial[stream];
    this.#partial[stream] = "";
    if (rest !== "") this.#writer.append(this.#takeLine(Date.now(), stream, rest));
  }

  /** A line from Spire itself (why a task could not start, unreadable outputs), logged like the task's own. */
  note(stream: LogStream, text: string): void {
    let batch = "";
    for (const line of text.split("\n")) batch += this.#takeLine(Date.now(), stream, line);
    this.#writer.append(batch);
  }

  mask(text: string): string {
    return this.#masker.active ? this.#masker.mask(text) : text;
  }

  tail(): LogLine[] {
    return this.#tail.slice();
  }

  /** Handles one complete line; returns its log-file form. */
  #takeLine(ts: number, stream: LogStream, raw: string): string {
    let severity = 0; // 0 none, 1 warning, 2 error: a line counts once, as the worse of what it matches
    let marker = mayBeMarker(raw) ? parseMarker(raw) : undefined;
    // A mask applies from its own line on: the line announcing it must not show the value.
    if (marker?.kind === "add-mask") this.#masker.add(marker.value);
    const line = this.mask(raw);
    // Marker values are read from the masked line, so outputs and metric names never carry a secret.
    if (marker !== undefined && line !== raw) marker = parseMarker(line);
    if (marker !== undefined) severity = this.#applyMarker(marker);
    if (severity < 2 && this.#errorPattern?.test(line)) severity = 2;
    if (severity < 1 && this.#warnPattern?.test(line)) severity = 1;
    if (severity === 2) this.errors++;
    else if (severity === 1) this.warnings++;
    const entry: LogLine = { ts, stream, line };
    if (this.#tail.length === TAIL_LINES) this.#tail.shift();
    this.#tail.push(entry);
    this.#events.onLine?.(entry);
    return formatLogLine(ts, stream, line);
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

  #compile(what: string, pattern: string | undefined): RegExp | undefined {
    if (pattern === undefined || pattern === "") return undefined;
    try {
      return new RegExp(pattern);
    } catch (error) {
      this.note("stderr", `spire: ignoring ${what} ${JSON.stringify(pattern)}: ${(error as Error).message}`);
      return undefined;
    }
  }
}
