/** `spire completion bash|zsh|fish`: the shell's completion script, made from the program's own commands and options. */
import type { Command } from "commander";
import { VERSION } from "../../version.js";
import { bashScript } from "../completion/bash.js";
import { fishScript } from "../completion/fish.js";
import { completionModel, type CompletionModel } from "../completion/model.js";
import type { Shell } from "../completion/shells.js";
import { zshScript } from "../completion/zsh.js";
import { CliError, EXIT } from "../errors.js";

const SCRIPTS: Record<Shell, (model: CompletionModel, version: string) => string> = { bash: bashScript, zsh: zshScript, fish: fishScript };

export function completionCommand(shell: string | undefined, program: Command): void {
  if (shell === undefined) {
    throw new CliError("say which shell to complete for: bash, zsh or fish", EXIT.usage, "For example: spire completion bash (spire completion --help says where to put it)");
  }
  process.stdout.write(SCRIPTS[shell as Shell](completionModel(program), VERSION));
}
