/**
 * The programs whose operands follow rules of their own (see argv-code.ts for
 * the walk and its roles): shells and their -c, env's assignments and -S,
 * sudo -s, flock -c, su, watch, ssh's remote command, pwsh, bun, deno, make,
 * git, find -exec, docker and kubectl, and the programs whose every
 * argument is a command of their own (sqlite3, psql, vim, gdb, tmux, …).
 */
import { COMMAND_READERS, CONTAINER_OPTIONS, type OptionSet, type ProgramSpec } from "./argv-programs.js";
import type { Entry, Walk } from "./argv-code.js";
import { isCodeVariable } from "./code-env.js";
import { splitWords } from "./words.js";

type Special = (walk: Walk, spec: ProgramSpec, args: readonly Entry[]) => void;

const SHELL: Special = (walk, spec, args) => {
  const parsed = walk.parse(spec, args, spec.options, 1, (state) => (state.modes.has("c") ? "code" : state.modes.has("s") ? "option" : "program"));
  if (parsed.lost) return;
  const first = args[parsed.operands[0] ?? args.length];
  if (parsed.modes.has("c")) return walk.mark(first, "code", spec);
  if (parsed.modes.has("s") || walk.isStdin(first)) walk.stdin(spec);
  if (parsed.modes.has("s")) return;
  walk.mark(first, "program", spec);
  // `bash x.sh A`: the script's arguments.
  if (first !== undefined) walk.argumentsFrom(args, parsed.operands[0]! + 1);
};

/** NAME=VALUE words before the command (env, sudo): a value is data unless the variable carries code. */
function assignments(walk: Walk, spec: ProgramSpec, args: readonly Entry[], from: number): number {
  let index = from;
  for (; index < args.length; index++) {
    const entry = args[index]!;
    const equals = entry.lead.indexOf("=");
    if (entry.opaque && equals < 0) {
      // NAME=… or the program itself: either way not data.
      walk.mark(entry, "program", spec);
      return args.length;
    }
    if (equals <= 0) return index;
    const name = entry.lead.slice(0, equals);
    if (isCodeVariable(name)) walk.mark(entry, "code", spec, name);
  }
  return index;
}

const ENV: Special = (walk, spec, args) => {
  const parsed = walk.parse(spec, args, spec.options, 1, () => "program");
  if (parsed.lost) return;
  // -S's string is split into words that take its place: literal, they only decide how the rest is read.
  const split = parsed.values.get("split");
  const words = split === undefined ? [] : splitWords(split).map((text) => ({ text, lead: text, opaque: false, origin: -1 }));
  const rest = [...words, ...args.slice(parsed.operands[0] ?? args.length)];
  walk.command(rest.slice(assignments(walk, spec, rest, 0)));
};

const SUDO: Special = (walk, spec, args) => {
  const parsed = walk.parse(spec, args, spec.options, 1, () => "program");
  if (parsed.lost) return;
  const rest = args.slice(parsed.operands[0] ?? args.length);
  // With -s or -i the command's words are handed to a shell as one -c string (or, without any, it reads stdin).
  if (["s", "i", "shell", "login"].some((mode) => parsed.modes.has(mode))) {
    if (rest.length === 0) walk.stdin(spec);
    return walk.markAll(rest, "code", spec);
  }
  if (parsed.modes.has("e") || parsed.modes.has("edit")) return;
  const start = spec.name === "sudo" ? assignments(walk, spec, rest, 0) : 0;
  walk.command(rest.slice(start));
};

/** flock [options] FILE (-c COMMAND | COMMAND [ARGS…]): -c hands its string to sh. */
const FLOCK: Special = (walk, spec, args) => {
  const parsed = walk.parse(spec, args, spec.options, 1);
  if (parsed.lost || parsed.operands.length === 0) return;
  const rest = args.slice(parsed.operands[0]! + 1);
  const next = rest[0];
  if (next === undefined) return;
  if (next.opaque && next.lead === "") return walk.markAll(rest, "option", spec);
  if (!next.opaque && (next.text === "-c" || next.text === "--command")) return walk.mark(rest[1], "code", spec);
  walk.command(rest);
};

/**
 * su and runuser pass their words after the user to the user's shell (and
 * util-linux reads options anywhere): a value anywhere is refused, except in
 * the command after `runuser -u USER --`, which runs without a shell.
 */
const SU: Special = (walk, spec, args) => {
  const dashdash = args.findIndex((entry) => !entry.opaque && entry.text === "--");
  const before = dashdash < 0 ? args : args.slice(0, dashdash);
  const userMode = before.some((entry) => !entry.opaque && (/^-[^-]*u/.test(entry.text) || entry.text === "--user" || entry.text.startsWith("--user=")));
  if (spec.name === "runuser" && userMode && dashdash >= 0) {
    walk.markAll(before, "option", spec);
    return walk.command(args.slice(dashdash + 1));
  }
  if (!args.some((entry) => !entry.opaque && /^(-[^-]*c|--command|--session-command)/.test(entry.text))) walk.stdin(spec);
  walk.markAll(args, "code", spec);
};

/** watch runs its words through `sh -c` joined with spaces, unless -x. */
const WATCH: Special = (walk, spec, args) => {
  const parsed = walk.parse(spec, args, spec.options, 1);
  if (parsed.lost) return;
  const rest = args.slice(parsed.operands[0] ?? args.length);
  if (parsed.modes.has("x") || parsed.modes.has("exec")) walk.command(rest);
  else walk.markAll(rest, "code", spec);
};

/** script: -c gives the command (code, through the option's kind); without it, a shell reads the input. */
const SCRIPT: Special = (walk, spec, args) => {
  if (!walk.parse(spec, args, spec.options, 1).codeGiven) walk.stdin(spec);
};

/** ssh [options] HOST [options] COMMAND…: the command's words are joined and parsed by the remote shell. */
const REMOTE: Special = (walk, spec, args) => {
  const first = walk.parse(spec, args, spec.options, 1);
  if (first.lost || first.operands.length === 0) return;
  const afterHost = args.slice(first.operands[0]! + 1);
  // OpenSSH reads options after the host too.
  const second = spec.name === "ssh" ? walk.parse(spec, afterHost, spec.options, 1) : { lost: false, operands: [0] };
  if (second.lost) return;
  const command = afterHost.slice(second.operands[0] ?? afterHost.length);
  walk.markAll(command, "code", spec);
  // Without a command the remote shell reads its commands from stdin; with one, that command reads it.
  if (command.length === 0) walk.stdin(spec);
  else walk.command(command);
};

/** pwsh: the words after -Command (or a first word that is not -File's script) are one script; -File SCRIPT ARGS… are data. */
const PWSH: Special = (walk, spec, args) => {
  if (!args.some((entry) => !entry.opaque && /^-(c|command|f|file|e|encodedcommand)$/i.test(entry.text))) walk.stdin(spec);
  const file = args.findIndex((entry) => !entry.opaque && /^-(f|file)$/i.test(entry.text));
  if (file < 0) return walk.markAll(args, "code", spec);
  walk.markAll(args.slice(0, file), "code", spec);
  walk.mark(args[file + 1], "program", spec);
};

/** bun [options] (FILE | run FILE | x PACKAGE | exec SCRIPT | other subcommand) ARGS… */
const BUN: Special = (walk, spec, args) => {
  const parsed = walk.parse(spec, args, spec.options, 1);
  if (parsed.lost || parsed.codeGiven || parsed.operands.length === 0) return;
  const first = args[parsed.operands[0]!]!;
  const next = args[parsed.operands[0]! + 1];
  if (first.opaque) return walk.mark(first, "program", spec);
  if (first.text === "exec") return walk.mark(next, "code", spec);
  if (first.text === "run" || first.text === "x") walk.mark(next, "program", spec);
};

/**
 * PROGRAM [global options] SUBCOMMAND …: the subcommand (a literal word) and
 * what follows it; a value as the subcommand chooses what runs.
 */
function subcommand(walk: Walk, spec: ProgramSpec, args: readonly Entry[]): { sub: Entry; rest: readonly Entry[] } | undefined {
  const parsed = walk.parse(spec, args, spec.options, 1, () => "program");
  if (parsed.lost || parsed.operands.length === 0) return undefined;
  const sub = args[parsed.operands[0]!]!;
  if (sub.opaque) {
    walk.mark(sub, "program", spec);
    return undefined;
  }
  return { sub, rest: args.slice(parsed.operands[0]! + 1) };
}

/** deno SUBCOMMAND [options] …: eval's first operand is code; run's and others' first is the program. */
const DENO: Special = (walk, spec, args) => {
  const found = subcommand(walk, spec, args);
  if (found === undefined) return;
  const { sub, rest } = found;
  const inner = walk.parse(spec, rest, spec.options, 1, (state) => (state.codeGiven ? "option" : sub.text === "eval" ? "code" : "program"));
  if (inner.lost || inner.codeGiven) return;
  const operand = rest[inner.operands[0] ?? rest.length];
  if (sub.text === "eval") walk.mark(operand, "code", spec);
  else if (/^(run|serve|test|bench|compile|install|task|repl|check)$/.test(sub.text)) walk.mark(operand, "program", spec);
};

/** make [options] [NAME=VALUE…] [TARGET…]: make expands a variable's value ($(shell …) runs). */
const MAKE: Special = (walk, spec, args) => {
  const parsed = walk.parse(spec, args, spec.options, Infinity);
  if (parsed.lost) return;
  for (const index of parsed.operands) {
    const entry = args[index]!;
    if (entry.lead.includes("=") || entry.lead === "") walk.mark(entry, "code", spec);
  }
};

/** The code-valued options of git's subcommands (clone --upload-pack, -c key=value, --exec, --template). */
const GIT_SUBCOMMAND: OptionSet = {
  short: { c: "code", u: "code" },
  long: { "upload-pack": "code", "receive-pack": "code", exec: "code", config: "code", template: "program" },
};

/** git [options] SUBCOMMAND …: a value could be an alias (!cmd) or an option such as --upload-pack=… anywhere before `--`. */
const GIT: Special = (walk, spec, args) => {
  const rest = subcommand(walk, spec, args)?.rest ?? [];
  for (const [offset, entry] of rest.entries()) {
    if (!entry.opaque && entry.text === "--") return;
    if (!entry.opaque) continue;
    if (entry.lead === "" || /^-[^-]*$/.test(entry.lead)) walk.mark(entry, "option", spec);
    else if (entry.lead.startsWith("--")) {
      const name = entry.lead.slice(2, entry.lead.includes("=") ? entry.lead.indexOf("=") : undefined);
      if (!entry.lead.includes("=") || GIT_SUBCOMMAND.long?.[name] !== undefined) walk.mark(entry, GIT_SUBCOMMAND.long?.[name] === "program" ? "program" : "code", spec);
    } else if (offset > 0 && !rest[offset - 1]!.opaque && /^-[cu]$|^--(upload-pack|receive-pack|exec|config)$/.test(rest[offset - 1]!.text)) {
      walk.mark(entry, "code", spec);
    }
  }
};

/** Arguments taken by find's primaries; those not listed take none. */
const FIND_ARITY: Record<string, number> = Object.fromEntries([
  ..."name iname path ipath wholename iwholename regex iregex lname ilname type xtype user group uid gid newer anewer cnewer samefile perm size mtime atime ctime mmin amin cmin used links inum fstype maxdepth mindepth regextype fprint fprint0 fls context".split(" ").map((name) => [`-${name}`, 1]),
  ["-fprintf", 2],
  ["-printf", 1],
]);
const FIND_FLAGS = new Set("print print0 ls delete quit prune depth xdev mount empty true false readable writable executable nouser nogroup daystart follow noleaf ignore_readdir_race noignore_readdir_race not and a or o".split(" ").map((name) => `-${name}`));

/** find [options] [PATHS…] [EXPRESSION]: -exec/-execdir/-ok/-okdir run a command up to `;` or `+`. */
const FIND: Special = (walk, spec, args) => {
  const parsed = walk.parse(spec, args, spec.options, 1);
  if (parsed.lost) return;
  let index = parsed.operands[0] ?? args.length;
  for (; index < args.length; index++) {
    const entry = args[index]!;
    if (entry.opaque && entry.lead === "") return walk.markAll(args.slice(index), "option", spec);
    if (entry.lead.startsWith("-") || ["(", ")", "!", ","].includes(entry.lead)) break;
  }
  while (index < args.length) {
    const entry = args[index]!;
    if (entry.opaque) return walk.markAll(args.slice(index), entry.lead.startsWith("-") || entry.lead === "" ? "option" : "unknown", spec);
    const word = entry.text;
    if (/^-(exec|execdir|ok|okdir)$/.test(word)) {
      const end = args.findIndex((candidate, at) => at > index && !candidate.opaque && (candidate.text === ";" || candidate.text === "+"));
      const stop = end < 0 ? args.length : end;
      walk.command(args.slice(index + 1, stop));
      index = stop + 1;
    } else if (FIND_ARITY[word] !== undefined) index += 1 + FIND_ARITY[word]!;
    else if (FIND_FLAGS.has(word) || ["(", ")", "!", ","].includes(word)) index++;
    else return walk.markAll(args.slice(index + 1), "unknown", spec, word);
  }
};

/** docker/podman [global options] SUBCOMMAND …: run/create IMAGE COMMAND…, exec CONTAINER COMMAND…. */
const CONTAINER: Special = (walk, spec, args) => {
  const found = subcommand(walk, spec, args);
  if (found === undefined) return;
  const { sub } = found;
  let rest = found.rest;
  if (sub.text === "container") return CONTAINER(walk, spec, rest);
  if (sub.text === "compose") return walk.markAll(rest, "unknown", spec, "compose");
  if (!["run", "create", "exec"].includes(sub.text)) return;
  const parsed = walk.parse(spec, rest, CONTAINER_OPTIONS, 1);
  if (parsed.lost || parsed.operands.length === 0) return;
  const target = rest[parsed.operands[0]!]!;
  // An image names what runs, unless the value is only its tag or digest.
  if (sub.text !== "exec" && target.opaque && !/[:@]/.test(target.lead)) walk.mark(target, "program", spec);
  rest = rest.slice(parsed.operands[0]! + 1);
  const entrypoint = parsed.values.get("entrypoint");
  walk.command(entrypoint === undefined ? rest : [{ text: entrypoint, lead: entrypoint, opaque: false, origin: -1 }, ...rest]);
};

/** kubectl (exec | run | debug) … -- COMMAND…: cobra reads options anywhere before `--`. */
const KUBECTL: Special = (walk, spec, args) => {
  const dashdash = args.findIndex((entry) => !entry.opaque && entry.text === "--");
  const before = dashdash < 0 ? args : args.slice(0, dashdash);
  walk.markAll(before.filter((entry) => entry.lead === "" || entry.lead.startsWith("-")), "option", spec);
  const sub = before.find((entry) => !entry.opaque && !entry.text.startsWith("-"));
  if (dashdash >= 0 && sub !== undefined && ["exec", "run", "debug"].includes(sub.text)) walk.command(args.slice(dashdash + 1));
};

/** A program whose arguments are all commands of its own (sqlite3, psql, vim, gdb, tmux, …): a value anywhere among them may run. */
const COMMANDS: Special = (walk, spec, args) => walk.markAll(args, "code", spec);

export const SPECIAL: Record<string, Special> = {
  ...Object.fromEntries(COMMAND_READERS.split(" ").map((name) => [name, COMMANDS])),
  ...Object.fromEntries("sh bash dash zsh ksh ksh93 mksh pdksh oksh loksh ash yash rbash posh hush csh tcsh osh ysh xonsh elvish".split(" ").map((name) => [name, SHELL])),
  env: ENV,
  sudo: SUDO,
  doas: SUDO,
  flock: FLOCK,
  su: SU,
  runuser: SU,
  watch: WATCH,
  script: SCRIPT,
  ssh: REMOTE,
  rsh: REMOTE,
  pwsh: PWSH,
  bun: BUN,
  deno: DENO,
  make: MAKE,
  git: GIT,
  find: FIND,
  docker: CONTAINER,
  kubectl: KUBECTL,
};
