/**
 * A definitions file given twice (`spire engine -f a.yaml -f b.yaml`) is
 * refused: Commander keeps the last in silence, so the first was dropped
 * without a word where both were expected. Other options keep the usual
 * rule of the command line, the last one given wins, which lets a later
 * option override one an alias or a script put first.
 */
import { InvalidArgumentError, type Command } from "commander";

export function refuseRepeatedFiles(command: Command): void {
  for (const option of command.options) {
    if (option.long !== "--file" || option.parseArg !== undefined || option.variadic) continue;
    const given: string[] = [];
    option.argParser((value: string) => {
      given.push(value);
      if (given.length > 1) throw new InvalidArgumentError(`It takes one file (or a folder), and was given ${given.length}: ${given.map((one) => JSON.stringify(one)).join(", ")}; run the command once for each (spire apply -f FILE applies one to the engine)`);
      return value;
    });
  }
  for (const sub of command.commands) refuseRepeatedFiles(sub);
}
