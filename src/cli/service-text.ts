/** How `spire service` writes command lines and file changes at the terminal. */
import { quoteForDisplay } from "./adhoc/job.js";
import { MASKED } from "../service/definition.js";

export function displayed(argv: string[]): string {
  return argv.map(quoteForDisplay).join(" ");
}

export function commandLines(commands: string[][]): string {
  return commands.map((command) => `  ${displayed(command)}`).join("\n");
}

/** The word after `option` in a command line. */
export function valueAfter(argv: string[] | undefined, option: string): string | undefined {
  const index = argv?.indexOf(option) ?? -1;
  return index < 0 ? undefined : argv![index + 1];
}

/** `text` with each secret value in it replaced by MASKED. */
export function hideSecrets(text: string, values: string[]): string {
  return values.filter((value) => value !== "").reduce((hidden, value) => hidden.replaceAll(value, MASKED), text);
}

/** The lines of a service file that an update changes, old ones with -, new ones with +. */
export function changedLines(before: string, after: string): string {
  const [old, now] = [before.split("\n"), after.split("\n")];
  return [...old.filter((line) => !now.includes(line)).map((line) => `  - ${line}`), ...now.filter((line) => !old.includes(line)).map((line) => `  + ${line}`)].join("\n");
}

export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

export function fail(text: string): void {
  process.stderr.write(`${text}\n`);
}
