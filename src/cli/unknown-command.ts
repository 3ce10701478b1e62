/**
 * An unknown command, said as Spire says its errors, with the command that
 * does what the word usually means elsewhere (`check`, `stop`, `status`):
 * Commander's own suggestion only finds names spelled alike, and offered
 * `show` for `stop`. `spire help NAME` with no such command says so too,
 * instead of the whole help with exit 2.
 */
import type { Command } from "commander";
import { CliError, EXIT } from "./errors.js";

const VALIDATE = "spire validate -f FILE checks a definitions file";
const STOP = "spire cancel RUN stops a run; spire pause PIPELINE stops its triggers; Ctrl-C stops an engine run in a terminal (spire service status says how the one started at login runs)";
const MEANT: Record<string, string> = {
  check: VALIDATE,
  lint: VALIDATE,
  verify: VALIDATE,
  stop: STOP,
  kill: STOP,
  abort: STOP,
  start: "spire run PIPELINE starts a run; spire engine starts the engine",
  trigger: "spire run PIPELINE starts a run",
  exec: "spire run -- COMMAND… runs a command as a recorded job",
  list: "spire ls lists the pipelines; spire runs lists their runs",
  status: "spire ls shows each pipeline's last result and next fire time; spire show RUN shows a run",
  ps: "spire runs --status running lists the runs under way",
  log: "spire logs RUN [TASK] shows a run's logs",
  history: "spire runs [PIPELINE] lists past runs",
  schedule: "spire next PIPELINE says when it fires next",
  delete: "spire rm PIPELINE removes a pipeline",
  remove: "spire rm PIPELINE removes a pipeline",
  version: "spire --version",
};

/** Global options that take a value: the word after them is not the command. */
const VALUED = new Set(["--data", "--engine"]);

/** The words of a command line that are not options or their values: the command, and what follows it. */
function commandWords(args: readonly string[]): string[] {
  return args.filter((word, index) => !word.startsWith("-") && !VALUED.has(args[index - 1] ?? ""));
}

/** `spire help help`: Commander prints the whole help then, and exits 2 as if the command were unknown. */
export function isHelpOfHelp(args: readonly string[]): boolean {
  const [first, second] = commandWords(args);
  return first === "help" && second === "help";
}

/** The refusal for an unknown command (or `help NAME`), when the command line has one. */
export function unknownCommand(program: Command, args: readonly string[]): CliError | undefined {
  const words = commandWords(args);
  const [first, second] = words;
  if (first === undefined) return undefined;
  // Commander's own help command is not among program.commands.
  const known = new Set(["help", ...program.commands.flatMap((command) => [command.name(), ...command.aliases()])]);
  if (first === "help" && second !== undefined && !known.has(second)) return refusal(second);
  return known.has(first) ? undefined : refusal(first);
}

function refusal(word: string): CliError {
  const meant = MEANT[word.toLowerCase()];
  return new CliError(`unknown command ${JSON.stringify(word)}`, EXIT.usage, meant !== undefined ? `${meant}. spire --help lists the commands.` : "spire --help lists the commands.");
}
