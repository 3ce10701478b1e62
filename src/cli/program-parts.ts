/** Pieces every command declaration of the `spire` program uses (main.ts, service-program.ts). */
import { Command, Option } from "commander";

export const examples = (lines: string[]) => `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;

/** The format of a definitions file; detected from its content when not given. */
export function formatOption(): Option {
  return new Option("--format <format>", "the file's format (default: detected from its content)").choices(["spire", "prunner", "gator"]);
}

/** --data and --engine, given before or after the command name. */
export function globals(command: Command): { data?: string; engine?: string } {
  let root: Command = command;
  while (root.parent) root = root.parent;
  const options = { ...root.opts(), ...command.optsWithGlobals() } as { data?: string; engine?: string };
  return { ...(options.data !== undefined ? { data: options.data } : {}), ...(options.engine !== undefined ? { engine: options.engine } : {}) };
}


/** `-f`'s help: where definitions can come from. */
export const DEFINITIONS_FILE = "definitions file, - for stdin, or an https:// URL to fetch";
export const ALLOW_HTTP_FILE = "let -f fetch a plain http:// URL (unencrypted: anyone on the way could change what runs)";
