/**
 * Which `spire service install` options belong to which service (the
 * engine's, or a worker's with --worker), and the options after -- that
 * are passed on to `spire engine` or `spire worker`, checked against that
 * command's own: a typo would only show when the service starts.
 */
import { CliError, EXIT } from "./errors.js";
import { quoteForDisplay } from "./adhoc/job.js";
import type { ServiceKind } from "../service/kind.js";

/** install's options that only the engine's service takes. */
const ENGINE_ONLY = ["--file", "--format", "--listen", "--allow-remote", "--grace"];
/** install's options that only a worker's service takes (--engine is spire's own, naming the worker's engine here). */
const WORKER_ONLY = ["--engine", "--token", "--labels", "--name", "--tasks", "--cpus", "--memory", "--workdir", "--allow-insecure"];

/** The options install sets itself, per service: given again after --, the program would see two (or a token would land on its command line). */
const OWN: Record<ServiceKind["what"], string[]> = {
  engine: ["--data", "-f", ...ENGINE_ONLY],
  worker: ["--data", ...WORKER_ONLY],
};

/** Refuses an option of the other service: `given` are the long names on the command line. */
export function checkOptionsBelong(kind: ServiceKind, given: string[]): void {
  if (kind.what === "worker") {
    const engineOnly = given.find((name) => ENGINE_ONLY.includes(name));
    if (engineOnly) throw new CliError(`${engineOnly} is an option of the engine's service, not a worker's (--worker)`, EXIT.usage, `Leave it out, or install the engine's service: spire service install ${engineOnly} …`);
    return;
  }
  const workerOnly = given.find((name) => WORKER_ONLY.includes(name));
  if (workerOnly) {
    throw new CliError(`${workerOnly} is an option of a worker's service: add --worker`, EXIT.usage, `For example: spire service install --worker --engine https://laptop.tail1234.ts.net:7431 --token "$(cat worker.token)" --labels gpu`);
  }
}

/** The words after --, checked against `flags`, the options of `spire engine` or `spire worker`. */
export function passedOptions(kind: ServiceKind, words: string[], flags: string[]): string[] {
  const example = kind.what === "engine" ? "spire service install -- --keep-days 30" : "spire service install --worker … -- --some-option";
  if (words.length > 0 && !words[0]!.startsWith("-")) {
    throw new CliError(`unexpected argument ${quoteForDisplay(words[0]!)}`, EXIT.usage, `Options for the ${kind.what} go after --, e.g.: ${example}`);
  }
  for (const word of words) {
    const name = word.split("=", 1)[0]!;
    if (!word.startsWith("-")) continue;
    if (OWN[kind.what].includes(name)) {
      const value = name === "-f" || name === "--file" ? "-f FILE" : name;
      throw new CliError(`${name} is an option of spire service install${kind.option} itself`, EXIT.usage, `Give it before the --: spire service install${kind.option} ${value} …`);
    }
    if (!flags.includes(name)) throw new CliError(`spire ${kind.what} has no option ${name}`, EXIT.usage, `See spire ${kind.what} --help for the options it takes.`);
  }
  return words;
}
