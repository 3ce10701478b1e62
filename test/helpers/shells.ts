/**
 * Completion as a person gets it, in the real shells: each script is the one
 * `spire completion SHELL` prints, and `spire` is the real program, first on
 * PATH (the scripts call it back for pipeline names, run ids and task names).
 *
 * - bash: the completion function called with COMP_WORDS and COMP_CWORD as
 *   readline sets them; the answer is COMPREPLY.
 * - zsh: an interactive zsh in a pseudo-terminal (zpty), with compinit and
 *   the script as `_spire` in $fpath, types the line and a Tab; compadd is
 *   wrapped to print what matched, and the shell leaves once completion is done.
 * - fish: `complete -C LINE`, fish's own way to ask what it would offer.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { SPIRE_BIN, spire } from "./cli.js";
import { tempDir } from "./tmp.js";

export type Shell = "bash" | "zsh" | "fish";

export interface Completer {
  /** The folder the shell runs in: files offered for `-f` are the ones here. */
  cwd: string;
  /** What the shell offers for the line (the cursor at its end), as typed. */
  complete(line: string): Promise<string[]>;
}

/** A shell that is not installed (then the test is skipped, saying so). */
export function missingShell(shell: Shell): string | undefined {
  return spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0 ? undefined : `${shell} is not installed here (apt-get install ${shell}; .ci/run installs it)`;
}

/** The shell's script from the real program, and `spire` on PATH, over the data folder `data`. */
export async function completer(t: TestContext, shell: Shell, data: string): Promise<Completer> {
  const dir = tempDir(t, "spire-completion-");
  const bin = join(dir, "bin");
  mkdirSync(bin);
  symlinkSync(SPIRE_BIN, join(bin, "spire"));
  const printed = await spire(["completion", shell], { data });
  if (printed.code !== 0) throw new Error(`spire completion ${shell}: ${printed.stderr}`);
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, SPIRE_DATA: data, NO_COLOR: "1" };
  const cwd = join(dir, "cwd");
  mkdirSync(cwd);
  if (shell === "bash") {
    const script = join(dir, "spire.bash");
    writeFileSync(script, printed.stdout);
    return { cwd, complete: async (line) => lines(await output("bash", ["--norc", "--noprofile", "-c", BASH_DRIVER, "bash", script, ...bashWords(line)], env, cwd)) };
  }
  if (shell === "zsh") {
    const functions = join(dir, "zsh-functions");
    mkdirSync(functions);
    writeFileSync(join(functions, "_spire"), printed.stdout);
    const driver = join(dir, "driver.zsh");
    writeFileSync(driver, ZSH_DRIVER);
    return { cwd, complete: async (line) => lines(await output("zsh", ["-f", driver, functions, line], env, cwd)) };
  }
  const script = join(dir, "spire.fish");
  writeFileSync(script, printed.stdout);
  // fish prints VALUE<tab>DESCRIPTION: the values are what these tests look at.
  return { cwd, complete: async (line) => lines(await output("fish", ["--no-config", "-c", "source $argv[1]; complete -C $argv[2]", script, line], env, cwd)).map((entry) => entry.split("\t")[0]!) };
}

/** Words as readline splits them: at blanks, and `=` on its own (it is in COMP_WORDBREAKS). */
function bashWords(line: string): string[] {
  return line
    .split(/ +/)
    .flatMap((word) => word.split(/(=)/))
    .filter((word, index, all) => word !== "" || index === all.length - 1);
}

const BASH_DRIVER = `source "$1"; shift
COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)) COMP_LINE="$*" COMP_POINT=\${#COMP_LINE}
_spire
printf '%s\\n' "\${COMPREPLY[@]}"`;

// Markers are printed as "<<"match">>" so that the typed definitions, which the terminal echoes, do not carry them.
const ZSH_DRIVER = `zmodload zsh/zpty || exit 2
zpty capture zsh -f -i
zpty -w capture 'PS1= RPS1= PROMPT_EOL_MARK=; unsetopt zle_bracketed_paste 2>/dev/null'
zpty -w capture "fpath=(\${(q)1} \\$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w capture 'compadd() { if (( \${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi; local -a __m; builtin compadd -O __m "$@"; print -rl -- "<<"match">>"\${^__m}; builtin compadd "$@"; }'
zpty -w capture '__done() { print -r -- "<<"done">>"; exit }; comppostfuncs=(__done)'
zpty -w -n capture "$2"$'\\t'
local line
while zpty -r capture line; do
  [[ $line == *"<<match>>"* ]] && print -r -- "\${\${line##*<<match>>}%%$'\\r'*}"
  [[ $line == *"<<done>>"* ]] && break
done
zpty -d capture`;

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

async function output(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  const child = spawn(command, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`${command} ${args.join(" ")}: exit ${code}\n${stderr}`);
  if (stderr !== "") throw new Error(`${command} printed on stderr:\n${stderr}`);
  return stdout;
}
