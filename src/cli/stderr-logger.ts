/**
 * The engine's warnings when it runs inside a CLI command (no engine
 * running): one plain line each on stderr, for the person at the terminal
 * (a notification that could not be delivered, say). Its info lines are
 * for an engine's log, not for a terminal.
 */
import pc from "picocolors";
import type { EngineLogger } from "../engine/engine.js";

export function stderrLogger(): EngineLogger {
  const say = (object: object, message?: string) => {
    const details = Object.entries(object)
      .filter(([, value]) => value !== undefined && value !== null && typeof value !== "object")
      .map(([key, value]) => `${key}: ${String(value)}`);
    process.stderr.write(pc.yellow(`spire: ${message ?? "warning"}${details.length ? ` (${details.join(", ")})` : ""}\n`));
  };
  return { info() {}, warn: say, error: say };
}
