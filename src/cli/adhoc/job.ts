/**
 * An ad hoc job (`spire run -- COMMAND…`, `spire watch -- COMMAND…`) as a
 * pipeline: the command words become one task, `--when` its trigger, and
 * the whole becomes a definitions text made with the yaml package — user
 * words are data in that text, never spliced into it, and never reach a
 * shell: without a prefix (or with `cmd:`) they are an argv.
 * Pure: no I/O.
 */
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { parseDurationMs } from "../../definitions/units.js";
import { checkCron, parseTime, systemZone } from "../../time/index.js";
import { CliError, EXIT } from "../errors.js";

/** The one task of an ad hoc pipeline (what `spire logs RUN TASK` names). */
export const ADHOC_TASK = "command";

export type AdhocPayload = { exec: string[] } | { python: string; args: string[] } | { node: string; args: string[] };

export interface AdhocCommand {
  /** The words as given after `--`. */
  words: string[];
  payload: AdhocPayload;
  /** The words as a person reads them (quoted where needed); never executed. */
  display: string;
}

const RUNNERS = { "python:": "python", "node:": "node" } as const;

/**
 * `python:CODE [ARG…]` and `node:CODE [ARG…]` run inline code (the other
 * words are its argv, as with `python3 -c`); `cmd:PROGRAM [ARG…]` and plain
 * words run the program without a shell.
 */
export function parseCommand(words: string[] | undefined, usage: string): AdhocCommand {
  if (words === undefined || words.length === 0 || words[0] === "") {
    throw new CliError("no command after --", EXIT.usage, `For example: ${usage}`);
  }
  const [first, ...rest] = words as [string, ...string[]];
  const display = words.map(quoteForDisplay).join(" ");
  for (const [prefix, runner] of Object.entries(RUNNERS)) {
    if (!first.startsWith(prefix)) continue;
    const code = first.slice(prefix.length);
    if (code.trim() === "") throw new CliError(`${prefix} needs code after it`, EXIT.usage, `For example: spire run -- '${prefix}${runner === "python" ? 'print("hi")' : 'console.log("hi")'}'`);
    return { words, display, payload: runner === "python" ? { python: code, args: rest } : { node: code, args: rest } };
  }
  const argv = first.startsWith("cmd:") ? [first.slice(4), ...rest] : words;
  if (argv[0] === "") throw new CliError("cmd: needs a program after it", EXIT.usage, "For example: spire run -- cmd:echo hello");
  if (argv.length === 1 && /\s/.test(argv[0]!)) {
    // One quoted word with spaces is a program name with spaces, which is rarely what was meant.
    throw new CliError(
      `the command is one word with spaces: ${JSON.stringify(argv[0])}`,
      EXIT.usage,
      `Give the words separately (no shell runs them): spire run -- ${argv[0]}\nFor a shell, say so: spire run -- sh -c ${quoteForDisplay(argv[0]!)}`,
    );
  }
  return { words, display, payload: { exec: argv } };
}

/**
 * Shell-style quoting, for showing a command to a person only (never run).
 * Control characters are written as $'\xNN', so a command shown on a
 * terminal cannot drive it.
 */
export function quoteForDisplay(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  if (/[\x00-\x1f\x7f-\x9f]/.test(word)) {
    const escaped = word.replace(/[\x00-\x1f\x7f-\x9f\\']/g, (char) => (char === "\\" || char === "'" ? `\\${char}` : `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`));
    return `$'${escaped}'`;
  }
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A `--when` value as a trigger; undefined for `once` (run now). */
export type When = { kind: "once" } | { kind: "cron"; cron: string } | { kind: "every"; every: number } | { kind: "at"; at: string };

/** The schedules --when takes besides once: those spire next and next_fire_times take too. */
export const SCHEDULE_FORMS = 'a cron in quotes ("0 3 * * *", 6 fields with seconds first), @hourly, @daily, @weekly, @monthly, @yearly, "every 5s" (50ms to years), or "at 2026-12-24T18:00"';
export const WHEN_FORMS = `once (the default), ${SCHEDULE_FORMS}`;

/** Who reads the schedule, as its messages name it: run's --when (the default), or spire next's argument. */
export interface WhenReader {
  /** Before each message: "--when: ", or nothing. */
  prefix: string;
  /** Before the forms it takes: "--when takes". */
  takes: string;
  /** How an `at` is written there: `--when "at …"`. */
  at: string;
  /** The forms it takes, after `takes` (default WHEN_FORMS). */
  forms?: string;
}

const WHEN_OPTION: WhenReader = { prefix: "--when: ", takes: "--when takes", at: "--when" };

export function parseWhen(given: string | undefined, reader: WhenReader = WHEN_OPTION): When {
  const text = (given ?? "once").trim();
  const { prefix } = reader;
  const hint = `${reader.takes} ${reader.forms ?? WHEN_FORMS}`;
  if (text === "once" || text === "now") return { kind: "once" };
  const every = /^every\s+(.+)$/.exec(text);
  if (every) {
    const ms = parseDurationMs(every[1]!.replaceAll(" ", ""));
    if (ms === undefined) throw new CliError(`${prefix}${JSON.stringify(every[1])} is not a duration`, EXIT.usage, "A duration: 500ms, 10s, 5m, 1h30m, 2d, 1w");
    if (ms < 50) throw new CliError(`${prefix}every ${every[1]} is shorter than 50ms`, EXIT.usage, hint);
    return { kind: "every", every: ms };
  }
  const at = /^at\s+(.+)$/.exec(text);
  if (at) {
    const parsed = parseTime(at[1]!, systemZone());
    if (!parsed.ok) throw new CliError(`${prefix}${parsed.error}`, EXIT.usage, `For example: ${reader.at} "at 2026-12-24T18:00" (this machine's time zone, or give an offset)`);
    return { kind: "at", at: at[1]! };
  }
  if (text.startsWith("@") || /\s/.test(text)) {
    const problem = checkCron(text);
    if (problem) throw new CliError(`${prefix}${problem}`, EXIT.usage, hint);
    return { kind: "cron", cron: text };
  }
  throw new CliError(`${prefix}${JSON.stringify(given)} is not a schedule`, EXIT.usage, hint);
}

/** The trigger a `--when` makes (none for once). */
export function triggersOf(when: When): Record<string, unknown>[] {
  switch (when.kind) {
    case "once":
      return [];
    case "cron":
      return [{ cron: when.cron }];
    case "every":
      return [{ every: `${when.every}ms` }];
    case "at":
      return [{ at: when.at }];
  }
}

/**
 * A readable slug of the command plus a digest of (folder, command,
 * schedule): the same command with the same --when from the same folder is
 * the same pipeline, so running it again reuses it (and its history); a
 * different schedule is another pipeline, so it never replaces one.
 */
export function adhocName(command: AdhocCommand, cwd: string, key: string, prefix = ""): string {
  const digest = createHash("sha256").update(JSON.stringify([cwd, command.words, key])).digest("hex").slice(0, 8);
  const slug = command.words
    .join(" ")
    .toLowerCase()
    .replace(/^(cmd|python|node):/, "$1 ")
    .replace(/[^a-z0-9_.]+/g, "-")
    .replace(/^[-.]+|-+$/g, "")
    .slice(0, 32)
    .replace(/[-.]+$/, "");
  return `${prefix}${slug || "job"}-${digest}`;
}

export interface AdhocPipeline {
  command: AdhocCommand;
  cwd: string;
  triggers: Record<string, unknown>[];
  /** What kind of ad hoc pipeline: shown by `spire ls`, kept in its metadata. */
  kind: "run" | "watch";
  /** Extra pipeline fields (catchup, queue, retention…). */
  extra?: Record<string, unknown>;
}

/** The description that marks a pipeline as ad hoc (`spire ls` reads it). */
export const ADHOC_DESCRIPTION = /^ad hoc (run|watch): /;

export function adhocDefinition(pipeline: AdhocPipeline): Record<string, unknown> {
  const { command, cwd, kind } = pipeline;
  return {
    description: `ad hoc ${kind}: ${command.display}`,
    metadata: { adhoc: kind, command: command.words, cwd },
    triggers: pipeline.triggers,
    ...pipeline.extra,
    tasks: { [ADHOC_TASK]: { ...command.payload, cwd } },
  };
}

/**
 * The definitions text for apply. The namespace's own metadata and locks are
 * carried over, because apply replaces a namespace's metadata with the file's.
 */
export function definitionsText(namespace: string, name: string, definition: Record<string, unknown>, keep: { metadata?: Record<string, unknown> } = {}): string {
  const { locks, ...metadata } = keep.metadata ?? {};
  const file: Record<string, unknown> = { namespace };
  if (Object.keys(metadata).length) file.metadata = metadata;
  if (locks && typeof locks === "object") file.locks = locks;
  file.pipelines = { [name]: definition };
  // No anchors and aliases: the command's words stand in the metadata and in the task, each written out.
  return stringify(file, { aliasDuplicateObjects: false });
}
