/**
 * The log of a long-running command (`spire engine`, `spire worker`) on
 * stderr: JSON lines for a service's journal, colored lines at a terminal.
 * pino-pretty (and its dozen modules) is loaded only for a terminal: an
 * engine kept by a service would hold it for nothing.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { Writable } from "node:stream";
import pino from "pino";

export async function processLogger(): Promise<pino.Logger> {
  if (!process.stderr.isTTY) return pino({ level: "info" }, pino.destination(2));
  const { default: pretty } = await import("pino-pretty");
  return pino({ level: "info" }, pretty({ colorize: true, ignore: "pid,hostname", destination: terminal() }));
}

/**
 * The terminal on stderr, written at once. Once it has been closed (a hang-up:
 * every write fails with EIO) the lines are dropped: the process is draining
 * on the SIGHUP that came with it, and a throw from a log line would end it.
 */
function terminal(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      try {
        writeSync(2, chunk);
      } catch {
        // the terminal is gone
      }
      done();
    },
  });
}

/**
 * Before exiting after a hang-up: stdin, stdout and stderr are pointed at
 * /dev/null. Node restores a terminal's settings as it exits, and aborts
 * (SIGABRT) when that terminal is gone: a clean stop would end as a crash.
 */
export function leaveHungUpTerminal(): void {
  for (const fd of [0, 1, 2]) {
    try {
      closeSync(fd);
    } catch {
      // not open
    }
    // The lowest free descriptor: the one just closed.
    const opened = openSync("/dev/null", fd === 0 ? "r" : "w");
    if (opened !== fd) closeSync(opened);
  }
}
