/** The `spire` command line that does what a button does ("Copy as CLI"); see `spire run --help`. */
import { shellLine, shellQuote } from "./shell-quote";

const pipelineRef = (ns: string, name: string) => `${ns}/${name}`;

/** The shell variable a secret argument's value is read from in a copied command (it is never put in the command itself). */
export function secretVariable(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, "_").replace(/^(\d)/, "_$1");
}

export function runCommand(ns: string, name: string, args: Record<string, string | number | boolean>, secrets: ReadonlySet<string> = new Set()): string {
  let line = shellLine(["spire", "run", pipelineRef(ns, name)]);
  for (const [key, value] of Object.entries(args)) {
    // A secret stays out of the copied text (and so out of shell history): the command reads it from a variable.
    line += secrets.has(key) ? ` --arg "${key.replace(/["$`\\]/g, "\\$&")}=$${secretVariable(key)}"` : ` --arg ${shellQuote(`${key}=${String(value)}`)}`;
  }
  return line;
}

export const pauseCommand = (ns: string, name: string, reason = "") => shellLine(["spire", "pause", pipelineRef(ns, name), ...(reason ? ["--reason", reason] : [])]);
export const resumeCommand = (ns: string, name: string) => shellLine(["spire", "resume", pipelineRef(ns, name)]);
