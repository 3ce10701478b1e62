/**
 * The log of a long-running command (`spire engine`, `spire worker`) on
 * stderr: JSON lines for a service's journal, colored lines at a terminal.
 * pino-pretty (and its dozen modules) is loaded only for a terminal: an
 * engine kept by a service would hold it for nothing.
 */
import pino from "pino";

export async function processLogger(): Promise<pino.Logger> {
  if (!process.stderr.isTTY) return pino({ level: "info" }, pino.destination(2));
  const { default: pretty } = await import("pino-pretty");
  return pino({ level: "info" }, pretty({ sync: true, colorize: true, ignore: "pid,hostname", destination: 2 }));
}
