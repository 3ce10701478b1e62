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
  /** The same for each line, one after the other in one shell (a zsh in a terminal takes a while to start). */
  completeEach(lines: string[]): Promise<string[][]>;
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
  let run: (lines: string[]) => Promise<string>;
  if (shell === "bash") {
    const script = join(dir, "spire.bash");
    writeFileSync(script, printed.stdout);
    run = (lines) => output("bash", ["--norc", "--noprofile", "-c", BASH_DRIVER, "bash", script, ...lines.flatMap((line) => [String(bashWords(line).length), ...bashWords(line)])], env, cwd);
  } else if (shell === "zsh") {
    const functions = join(dir, "zsh-functions");
    mkdirSync(functions);
    writeFileSync(join(functions, "_spire"), printed.stdout);
    const driver = join(dir, "driver.zsh");
    writeFileSync(driver, ZSH_DRIVER);
    run = (lines) => output("zsh", ["-f", driver, functions, ...lines], env, cwd);
  } else {
    const script = join(dir, "spire.fish");
    writeFileSync(script, printed.stdout);
    run = (lines) => output("fish", ["--no-config", "-c", FISH_DRIVER, script, ...lines], env, cwd);
  }
  const completeEach = async (lines: string[]) => answers(await run(lines), lines.length);
  return { cwd, completeEach, complete: async (line) => (await completeEach([line]))[0]! };
}

/** Words as readline splits them: at blanks, and `=` on its own (it is in COMP_WORDBREAKS). */
function bashWords(line: string): string[] {
  return line
    .split(/ +/)
    .flatMap((word) => word.split(/(=)/))
    .filter((word, index, all) => word !== "" || index === all.length - 1);
}

/** Each driver prints a line of just this after the answers to each line. */
const SEPARATOR = "\x1e";

// Arguments: the script, then for each line its number of words and the words.
const BASH_DRIVER = `source "$1"; shift
while (($#)); do
  COMP_CWORD=$(($1 - 1)) COMP_WORDS=("\${@:2:$1}")
  shift $(($1 + 1))
  COMP_LINE="\${COMP_WORDS[*]}" COMP_POINT=\${#COMP_LINE} COMPREPLY=()
  _spire
  printf '%s\n' "\${COMPREPLY[@]}" $'\x1e'
done`;

// fish prints VALUE<tab>DESCRIPTION: the values are what these tests look at.
const FISH_DRIVER = `source $argv[1]
for line in $argv[2..-1]
  complete -C $line | string replace -r '\t.*' ''
  echo \x1e
end`;

// An interactive zsh in a terminal types each line and a Tab. Completion adds
// nothing to the line and lists nothing (comppostfuncs, which zsh empties each
// time), then Ctrl-U clears the line for the next. Markers are printed as
// "<<"match">>" so that the typed definitions, which the terminal echoes, do not carry them.
const ZSH_DRIVER = `zmodload zsh/zpty || exit 2
zpty capture zsh -f -i
zpty -w capture 'PS1= RPS1= PROMPT_EOL_MARK=; unsetopt zle_bracketed_paste 2>/dev/null'
zpty -w capture "fpath=(\${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w capture 'compadd() { if (( \${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi; local -a __m; builtin compadd -O __m "$@"; print -rl -- "<<"match">>"\${^__m}; builtin compadd "$@"; }'
zpty -w capture '__done() { compstate[insert]=; compstate[list]=; print -r -- "<<"done">>"; comppostfuncs=(__done) }; comppostfuncs=(__done)'
shift
local request line
for request in "$@"; do
  zpty -w -n capture "$request"$'\t'
  while zpty -r capture line; do
    [[ $line == *"<<match>>"* ]] && print -r -- "\${\${line##*<<match>>}%%$'\r'*}"
    [[ $line == *"<<done>>"* ]] && break
  done
  print -r -- $'\x1e'
  zpty -w -n capture $'\x15'
done
zpty -d capture`;

/** The answers to each of `count` lines, as the drivers print them. */
function answers(text: string, count: number): string[][] {
  const groups = text.split(`${SEPARATOR}\n`).slice(0, count).map(lines);
  if (groups.length !== count) throw new Error(`answers to ${groups.length} of ${count} lines:\n${text}`);
  return groups;
}

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
