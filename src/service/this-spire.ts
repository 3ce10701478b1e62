/** The `spire` program running now, as a service must run it again: this node, this script, its shebang's flags and variables. */
import { readFileSync, realpathSync } from "node:fs";
import { environmentOfShebang, nodeFlagsOfShebang, type SpireProgram } from "./engine-command.js";

export function thisSpire(): SpireProgram {
  // argv[1] is what the shell ran: ~/.local/bin/spire, a link into an npm install, or bin/spire.js itself.
  const script = realpathSync(process.argv[1]!);
  const firstLine = readFileSync(script, "utf8").split("\n", 1)[0] ?? "";
  return { node: process.execPath, nodeFlags: nodeFlagsOfShebang(firstLine), environment: environmentOfShebang(firstLine), script };
}
