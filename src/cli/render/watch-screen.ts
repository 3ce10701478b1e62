/**
 * What `spire watch` shows, as watch(1) does: a header line (`Every 2.0s:
 * COMMAND   host: time`) and the latest run's output. On a terminal, full
 * screen in the alternate buffer, redrawn in place and cut to fit, and the
 * terminal given back as it was on exit; elsewhere, each run's output once,
 * after its header line.
 */
import { hostname } from "node:os";
import type { LogLine } from "../../exec/port.js";
import type { RunState } from "../../store/port.js";
import { clock } from "./format.js";

export interface WatchedRun {
  id: string;
  state: RunState;
  startedAt: number;
  exitCode: number | null;
  reason: string | null;
  lines: LogLine[];
}

export interface WatchScreen {
  show(run: WatchedRun): void;
  /** Gives the terminal back; safe to call more than once. */
  close(): void;
}

export interface WatchHeader {
  intervalMs: number;
  command: string;
}

export function createWatchScreen(header: WatchHeader, output: NodeJS.WriteStream = process.stdout): WatchScreen {
  return output.isTTY ? new FullScreen(header, output) : new PlainScreen(header, output);
}

function headerLeft(header: WatchHeader): string {
  const seconds = header.intervalMs / 1000;
  return `Every ${Number.isInteger(seconds) ? seconds.toFixed(1) : String(seconds)}s: ${header.command}`;
}

function headerRight(run: WatchedRun | undefined): string {
  const ended = run === undefined || run.state === "succeeded" ? "" : ` [${run.state}${run.reason ? `: ${run.reason}` : run.exitCode !== null ? `: exit code ${run.exitCode}` : ""}]`;
  return `${hostname()}: ${clock(run?.startedAt ?? Date.now())}${ended}`;
}

class PlainScreen implements WatchScreen {
  constructor(
    private readonly header: WatchHeader,
    private readonly output: NodeJS.WriteStream,
  ) {}

  show(run: WatchedRun): void {
    const text = run.lines.map((line) => `${line.line}\n`).join("");
    this.output.write(`${headerLeft(this.header)}   ${headerRight(run)}\n\n${text}\n`);
  }

  close(): void {}
}

const ALT_SCREEN_ON = "\x1b[?1049h\x1b[?25l";
const ALT_SCREEN_OFF = "\x1b[?25h\x1b[?1049l";
const HOME_AND_CLEAR = "\x1b[H\x1b[2J";

class FullScreen implements WatchScreen {
  private last: WatchedRun | undefined;
  private open = true;
  private readonly redraw = () => this.draw();

  constructor(
    private readonly header: WatchHeader,
    private readonly output: NodeJS.WriteStream,
  ) {
    output.write(ALT_SCREEN_ON);
    output.on("resize", this.redraw);
    this.draw();
  }

  show(run: WatchedRun): void {
    this.last = run;
    this.draw();
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.output.off("resize", this.redraw);
    this.output.write(ALT_SCREEN_OFF);
  }

  private draw(): void {
    if (!this.open) return;
    const columns = this.output.columns || 80;
    const rows = this.output.rows || 24;
    const left = headerLeft(this.header);
    const right = this.last ? headerRight(this.last) : "waiting for the first run…";
    const gap = columns - left.length - right.length;
    // Too narrow for both: the command is cut, host and time stay (as watch(1) does).
    const room = columns - right.length - 3;
    const top = gap >= 2 ? `${left}${" ".repeat(gap)}${right}` : room >= 12 ? `${left.slice(0, room)}…  ${right}` : fit(left, columns);
    const body = (this.last?.lines ?? []).slice(0, Math.max(0, rows - 2)).map((line) => fit(printable(line.line), columns));
    this.output.write(`${HOME_AND_CLEAR}${fit(top, columns)}\n\n${body.join("\n")}`);
  }
}

/**
 * The command's bytes must not drive the terminal (move the cursor, leave
 * the alternate screen, set the title): escape sequences and control
 * characters are dropped, tabs expanded.
 */
export function printable(line: string): string {
  return line
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]/g, "")
    .replace(/\t/g, "        ")
    .replace(/[\x00-\x1f\x7f-\x9f]/g, "");
}

function fit(text: string, columns: number): string {
  return text.length > columns ? text.slice(0, columns) : text;
}
