/**
 * Which words of an argv a program reads as code, the rule behind "values
 * never become code" for argv payloads (exec, docker's command, the
 * arguments given to run/python/node tasks):
 *
 *   Walk the argv as its programs will. argv[0] is the program; a wrapper
 *   (env, sudo, timeout, nice, nohup, setsid, xargs, flock, busybox, …) is
 *   skipped with its options and fixed operands, and what follows is the
 *   program again. For a program Spire knows (shells, interpreters, remote
 *   shells, see argv-programs.ts), each word gets its role:
 *
 *   - program: it names what runs (argv[0], a script file, `python -m`'s
 *     module, `--rcfile`, a container image);
 *   - code: the program runs it (`sh -c`'s string, `python -c`, `node -e`,
 *     `perl -e`, awk's and sed's program, `ssh host`'s command, `su -c`, the
 *     words `sudo -s` or `watch` hand to a shell, `env -S`'s string);
 *   - option: it stands where the program reads options, so a value such as
 *     `-c` or `--eval=…` would change what runs (a value after `node -e CODE`
 *     is still an option until `--`);
 *   - unknown: it follows an option Spire does not know, so where code is
 *     cannot be told;
 *   - data: everything else (the positional arguments after the code).
 *
 * A word that holds a value from outside the definition (see
 * check-code-values.ts) is refused in any role but data. Programs Spire
 * does not know get no roles beyond argv[0]: what they do with their
 * arguments is theirs.
 *
 * A word is "opaque" when part of it is such a value: its text is not known
 * until the run. Literal words are read as the program will read them.
 *
 * The same walk says whether a program reads its code from stdin (`bash`,
 * `python3 -`, `ssh HOST`, `xargs sh -c`): for prunner scripts, where a value
 * can be piped into one (prunner-nested.ts). Pure.
 */
import { programSpec, type Family, type OptionKind, type OptionSet, type ProgramSpec } from "./argv-programs.js";
import { SPECIAL } from "./argv-special.js";

export interface ArgvWord {
  text: string;
  /** The literal text before the first value from outside, when the word holds one. */
  opaqueFrom?: number;
}

export type Role = "program" | "code" | "option" | "unknown";

export interface Finding {
  /** Index of the word in the argv given. */
  index: number;
  role: Role;
  /** The program that reads the word ("sh", "node"; "ssh" for the remote shell). */
  reader: string;
  family: Family | undefined;
  /** The option after which Spire cannot tell (role unknown), or the variable (env NAME=…). */
  detail?: string;
}

export interface Entry {
  text: string;
  /** Literal text before the opaque part; the whole text when the word is literal. */
  lead: string;
  opaque: boolean;
  /** Index in the argv given; -1 for a word Spire adds (env -S's words, docker's --entrypoint), -2 for what xargs reads. */
  origin: number;
}

export function argvFindings(words: readonly ArgvWord[]): Finding[] {
  // Only an opaque word can be found (Walk.mark): a literal argv, the common case, has nothing to walk for.
  if (words.every((word) => word.opaqueFrom === undefined)) return [];
  const walk = new Walk(false);
  walk.command(entriesOf(words));
  return [...walk.findings.values()].sort((a, b) => a.index - b.index);
}

/**
 * Whether the program of this argv reads its code from stdin (`bash`,
 * `python3 -`, `ssh HOST` with no command, `awk -f -`, `xargs sh -c`, which
 * makes its input the code): the program that does, if one does.
 */
export function stdinCodeReader(words: readonly ArgvWord[]): string | undefined {
  const walk = new Walk(true);
  walk.command(entriesOf(words));
  return walk.stdinReader;
}

/**
 * Where the arguments an interpreter hands to the script or module it runs
 * begin: `bash x.sh A`, `python3 -m MODULE A` (the index of A; past the end
 * when there are none), through wrappers; undefined when Spire cannot tell (a
 * program it does not know, an option it does not know, a remote shell) or
 * the code is given on the command line (`sh -c CODE NAME A`).
 * Such code may pass them on as options: values there are checked when the
 * task starts (option-guard.ts).
 */
export function codeArgumentsFrom(words: readonly string[]): number | undefined {
  return walkOf(words).codeArgumentsFrom;
}

/** The index of the program that runs behind the wrappers (`timeout 10 tar …`: tar's), as far as Spire can tell; 0 without a wrapper. */
export function innermostProgram(words: readonly string[]): number {
  return walkOf(words).innermost;
}

function walkOf(words: readonly string[]): Walk {
  const walk = new Walk(false);
  walk.command(entriesOf(words.map((text) => ({ text }))));
  return walk;
}

function entriesOf(words: readonly ArgvWord[]): Entry[] {
  return words.map((word, origin) => ({
    text: word.text,
    lead: word.opaqueFrom === undefined ? word.text : word.text.slice(0, word.opaqueFrom),
    opaque: word.opaqueFrom !== undefined,
    origin,
  }));
}

/** Where xargs puts what it reads: a word standing for stdin. */
const STDIN: Entry = { text: "", lead: "", opaque: true, origin: -2 };
/** An operand or option value that names stdin as the script. */
const STDIN_NAMES = new Set(["-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"]);

export interface Parsed {
  /** Index (in the entries) of each operand, in order. */
  operands: number[];
  modes: Set<string>;
  /** An option gave the code (-c, -e) or named the program (-f, -m): operands are data. */
  codeGiven: boolean;
  /** It was an option naming the program (-f, -m). */
  programGiven: boolean;
  /** An option ended the options (python -c, -m): the rest is data. */
  ended: boolean;
  /** The walk cannot tell what follows (an opaque or unknown option); what follows is marked. */
  lost: boolean;
  /** A literal `--` was met. */
  dashdash: boolean;
  /** Literal values of value options, by option name (docker's --entrypoint). */
  values: Map<string, string>;
  /** Index (in the entries) where reading stopped: the next word not read as an option or operand. */
  next: number;
}

export class Walk {
  readonly findings = new Map<number, Finding>();
  /** The program that reads its code from stdin, when the walk asks (stdinCodeReader). */
  stdinReader: string | undefined;
  /** Index in the argv of the first argument an interpreter hands to the script or module it runs (codeArgumentsFrom). */
  codeArgumentsFrom: number | undefined;
  /** Index in the argv of the last program the walk reached: what runs behind the wrappers. */
  innermost = 0;

  /** @param stdinFlows whether the program's stdin is what is asked about (it flows on through wrappers). */
  constructor(public stdinFlows: boolean) {}

  /** The program reads its code from stdin. */
  stdin(spec: ProgramSpec): void {
    if (this.stdinFlows) this.stdinReader ??= spec.name;
  }

  /** A script or option value naming stdin: the code comes from there. */
  isStdin(entry: Entry | undefined): boolean {
    return entry === undefined || (!entry.opaque && STDIN_NAMES.has(entry.text));
  }

  mark(entry: Entry | undefined, role: Role, spec: ProgramSpec | undefined, detail?: string): void {
    if (entry === STDIN && role !== "option") this.stdinReader ??= spec?.name ?? "the program";
    if (entry === undefined || !entry.opaque || entry.origin < 0 || this.findings.has(entry.origin)) return;
    this.findings.set(entry.origin, { index: entry.origin, role, reader: spec?.name ?? "the task", family: spec?.family, ...(detail === undefined ? {} : { detail }) });
  }

  markAll(entries: readonly Entry[], role: Role, spec: ProgramSpec | undefined, detail?: string): void {
    for (const entry of entries) this.mark(entry, role, spec, detail);
  }

  /** entries[0] is a program; the rest its arguments. */
  command(entries: readonly Entry[]): void {
    const program = entries[0];
    if (program === undefined) return;
    if (program.opaque) {
      this.mark(program, "program", undefined);
      return;
    }
    if (program.origin >= 0) this.innermost = program.origin;
    const spec = programSpec(program.text);
    if (spec === undefined) return;
    const args = entries.slice(1);
    switch (spec.operands.kind) {
      case "interpreter":
        return this.interpreter(spec, args, spec.operands.first);
      case "wrapper":
        return this.wrapper(spec, args, spec.operands.fixed ?? []);
      case "special":
        return this.special(spec, args);
    }
  }

  private interpreter(spec: ProgramSpec, args: readonly Entry[], first: "code" | "program"): void {
    const parsed = this.parse(spec, args, spec.options, spec.permutes ? Infinity : 1, (state) => (state.codeGiven ? "option" : first));
    if (parsed.lost) return;
    // `python3 -m MODULE A`: the module's arguments follow it. (Code given on the command line, `sh -c CODE NAME A`, is the
    // file's own text, which reads A as it is written to; a file's or a module's code is not in sight.)
    if (parsed.ended || parsed.codeGiven) {
      if (parsed.programGiven && first === "program") this.argumentsFrom(args, parsed.ended ? parsed.next : (parsed.operands[0] ?? parsed.next));
      return;
    }
    const operand = args[parsed.operands[0]!];
    if (first === "program" && this.isStdin(operand)) this.stdin(spec);
    this.mark(operand, first, spec);
    // `bash x.sh A`: the script's arguments follow it (awk's and sed's operands after their program are files).
    if (first === "program" && operand !== undefined) this.argumentsFrom(args, parsed.operands[0]! + 1);
  }

  /** The arguments handed to a script or module begin at args[index] (none there: past the argv's end). */
  argumentsFrom(args: readonly Entry[], index: number): void {
    const origin = index < args.length ? args[index]!.origin : Infinity;
    if (origin >= 0) this.codeArgumentsFrom ??= origin;
  }

  private wrapper(spec: ProgramSpec, args: readonly Entry[], fixed: ("value" | "program")[]): void {
    const parsed = this.parse(spec, args, spec.options, 1, () => "program");
    if (parsed.lost || parsed.operands.length === 0) return;
    const start = parsed.operands[0]!;
    fixed.forEach((kind, offset) => {
      if (kind === "program") this.mark(args[start + offset], "program", spec);
    });
    const command = args.slice(start + fixed.length);
    if (spec.name !== "xargs" || !this.stdinFlows) return this.command(command);
    // xargs makes its input the command's arguments; the command's own stdin is not the pipe.
    this.stdinFlows = false;
    this.command([...command, STDIN]);
  }

  /**
   * Reads options from args (getopt's way) until `maxOperands` operands were
   * seen, marking option values by their kind; after `--` only operands.
   * A word that is a value from outside, where an option may stand, could be
   * any option or the operand: `uncertain` says what it is refused as (the
   * code, for `sh -c VALUE`), and what follows is not read.
   */
  parse(spec: ProgramSpec, args: readonly Entry[], options: OptionSet, maxOperands: number, uncertain: (parsed: Parsed) => Role = () => "option"): Parsed {
    const parsed: Parsed = { operands: [], modes: new Set(), codeGiven: false, programGiven: false, ended: false, lost: false, dashdash: false, values: new Map(), next: 0 };
    let index = 0;
    while (index < args.length) {
      const entry = args[index]!;
      parsed.next = index;
      if (parsed.dashdash || (parsed.operands.length > 0 && !spec.permutes)) {
        parsed.operands.push(index);
        if (parsed.operands.length >= maxOperands) break;
        index++;
        continue;
      }
      if (!entry.opaque && entry.text === "--") {
        parsed.dashdash = true;
        index++;
        continue;
      }
      if (entry.opaque && entry.lead === "") {
        this.mark(entry, parsed.operands.length === 0 ? uncertain(parsed) : "option", spec);
        parsed.lost = true;
        return parsed;
      }
      const isLong = entry.lead.startsWith("--");
      const isShort = !isLong && entry.lead.length > 1 && (entry.lead.startsWith("-") || (options.plus === true && entry.lead.startsWith("+")));
      if (!isLong && !isShort) {
        parsed.operands.push(index);
        if (parsed.operands.length >= maxOperands) break;
        index++;
        continue;
      }
      const step = isLong ? this.longOption(spec, options, args, index, parsed) : this.shortOptions(spec, options, args, index, parsed);
      if (step === "lost") {
        parsed.lost = true;
        return parsed;
      }
      index = step;
      parsed.next = index;
      if (parsed.ended) return parsed;
    }
    if (index >= args.length) parsed.next = args.length;
    return parsed;
  }

  /** Returns the index after the option (and its value), or "lost". */
  private longOption(spec: ProgramSpec, options: OptionSet, args: readonly Entry[], index: number, parsed: Parsed): number | "lost" {
    const entry = args[index]!;
    const equals = entry.lead.indexOf("=");
    if (entry.opaque && equals < 0) return this.lost(spec, args, index, "option");
    const name = (equals < 0 ? entry.text : entry.lead.slice(0, equals)).slice(2);
    const kind = options.long?.[name] ?? (options.otherLongFlags?.test(name) ? "flag" : undefined);
    if (kind === undefined) return this.lost(spec, args, index, "unknown", `--${name}`);
    if (kind === "flag" || kind === "glued" || kind === "digits") return index + 1;
    if (kind === "mode") {
      parsed.modes.add(name);
      return index + 1;
    }
    if (equals >= 0) {
      this.value(spec, kind, args, index, parsed, name, entry.text.slice(equals + 1));
      return index + 1;
    }
    return this.valueInNext(spec, kind, args, index, parsed, name);
  }

  /** A cluster of letters: -abc, -ovalue, +o. */
  private shortOptions(spec: ProgramSpec, options: OptionSet, args: readonly Entry[], index: number, parsed: Parsed): number | "lost" {
    const entry = args[index]!;
    const letters = entry.lead.slice(1);
    for (let at = 0; at < letters.length; at++) {
      const letter = letters[at]!;
      const kind = options.short?.[letter] ?? (options.otherShortFlags ? "flag" : undefined);
      if (kind === undefined) return this.lost(spec, args, index, "unknown", `-${letter}`);
      if (kind === "flag") continue;
      if (kind === "mode") {
        parsed.modes.add(letter);
        continue;
      }
      if (kind === "glued") return index + 1;
      if (kind === "digits") {
        while (/[0-9]/.test(letters[at + 1] ?? "")) at++;
        continue;
      }
      const rest = entry.text.slice(at + 2);
      if (rest !== "" || entry.opaque) {
        this.value(spec, kind, args, index, parsed, letter, rest);
        return index + 1;
      }
      return this.valueInNext(spec, kind, args, index, parsed, letter);
    }
    // Every letter read, and the word goes on with a value from outside: it could spell any option.
    if (entry.opaque) return this.lost(spec, args, index, "option");
    return index + 1;
  }

  private valueInNext(spec: ProgramSpec, kind: OptionKind, args: readonly Entry[], index: number, parsed: Parsed, name: string): number {
    if (kind === "value2") return index + 3;
    const next = args[index + 1];
    this.value(spec, kind, args, index + 1, parsed, name, next?.opaque === false ? next.text : undefined);
    return index + 2;
  }

  /** The value of an option at args[index] (glued, or the next word). */
  private value(spec: ProgramSpec, kind: OptionKind, args: readonly Entry[], index: number, parsed: Parsed, name: string, literal: string | undefined): void {
    const entry = args[index];
    if (literal !== undefined && entry?.opaque === false) parsed.values.set(name, literal);
    switch (kind) {
      case "code":
      case "end-code":
        this.mark(entry, "code", spec);
        parsed.codeGiven = true;
        break;
      case "program":
      case "end-program":
        if (entry !== undefined && this.isStdin(entry)) this.stdin(spec);
        this.mark(entry, "program", spec);
        parsed.codeGiven = parsed.programGiven = true;
        break;
      case "split":
        // env -S: the string is split into words that start the command.
        this.mark(entry, "code", spec);
        if (entry !== undefined && !entry.opaque) parsed.values.set("split", literal ?? entry.text);
        break;
    }
    if (kind === "end-code" || kind === "end-program") parsed.ended = true;
  }

  /**
   * The options cannot be read on from here. A value from outside is refused
   * itself (what follows is read again once it is fixed); after an option
   * Spire does not know, every value that follows is refused.
   */
  private lost(spec: ProgramSpec, args: readonly Entry[], index: number, role: Role, detail?: string): "lost" {
    const entry = args[index]!;
    if (entry.opaque) this.mark(entry, role, spec, detail);
    else this.markAll(args.slice(index + 1), "unknown", spec, detail);
    return "lost";
  }

  private special(spec: ProgramSpec, args: readonly Entry[]): void {
    const handler = SPECIAL[spec.name];
    if (handler !== undefined) handler(this, spec, args);
  }
}
