/** The `spire` command line that does what a button does ("Copy as CLI"); see `spire run --help`. */
import { shellLine } from "./shell-quote";

const pipelineRef = (ns: string, name: string) => `${ns}/${name}`;

export function runCommand(ns: string, name: string, args: Record<string, string | number | boolean>): string {
  const words = ["spire", "run", pipelineRef(ns, name)];
  for (const [key, value] of Object.entries(args)) words.push("--arg", `${key}=${String(value)}`);
  return shellLine(words);
}

export const pauseCommand = (ns: string, name: string) => shellLine(["spire", "pause", pipelineRef(ns, name)]);
export const resumeCommand = (ns: string, name: string) => shellLine(["spire", "resume", pipelineRef(ns, name)]);
