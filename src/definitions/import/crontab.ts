/**
 * A crontab as a `spire.yaml` (`spire import crontab`): each job a pipeline
 * that fires when cron fired it and runs its command as cron ran it; the
 * crontab's comments, blank lines and switched-off jobs kept as comments.
 * The text is made by the yaml package from data, never by pasting values
 * into YAML. Each pipeline is checked as Spire checks a file, and a job
 * that does not pass is kept as a comment saying why. Pure: no I/O.
 */
import { Document, isPair, isScalar, stringify, visit, type Scalar } from "yaml";
import { parseDefinitions } from "../load.js";
import { endsInEscape, nameOfCommand, splitPercent, withStdin } from "./cron-command.js";
import { FIELD_HEADER, looksLikeSystemCrontab, readCrontabLines, type CronJob } from "./crontab-lines.js";

export interface CrontabImportOptions {
  /** Each job has a user field after its schedule (/etc/crontab, /etc/cron.d); undefined: told from the content. */
  system?: boolean;
  /** The folder cron ran commands in: the user's home. */
  home: string;
  /** Where the crontab came from, for the header: a file name, or `crontab -l`. */
  source: string;
  /** The name the result is saved under, for the commands the comments suggest. */
  fileName: string;
  /** The JSON Schema editors check the file against (the first line). */
  schemaUrl?: string;
}

export interface ImportNote {
  line: number;
  message: string;
}

export interface CrontabImport {
  text: string;
  /** What a person should know, line by line (also in the file, as comments). */
  notes: ImportNote[];
  /** The pipelines made, in the crontab's order. */
  pipelines: string[];
  /** Jobs kept as comments because they cannot be imported. */
  notImported: number;
  /** Switched-off jobs, kept as commented-out pipelines. */
  disabled: number;
  system: boolean;
}

/** The one task of an imported pipeline (what `spire logs RUN TASK` names). */
export const CRON_TASK = "command";

/** Settings cron uses itself; the others become the pipeline's env. */
const MAIL_SETTINGS = new Set(["MAILFROM", "CONTENT_TYPE", "CONTENT_TRANSFER_ENCODING"]);
const OWN_SETTINGS = new Set(["CRON_TZ", "SHELL", "MAILTO", "RANDOM_DELAY", ...MAIL_SETTINGS]);

/** A comment line: text, or a line of a commented-out pipeline (indented to its place when rendered). */
type CommentLine = string | { yaml: string };

interface Pending {
  /** Comment lines for the next pipeline's key (or the file's end). */
  comments: CommentLine[];
  /** The comment lines right above the next line, with no blank line between. */
  above: string[];
}

interface ImportedPipeline {
  name: string;
  definition: Record<string, unknown>;
  comments: CommentLine[];
  beforeTasks: string[];
}

/** What the lines read so far have made, and what waits for the next pipeline. */
interface State {
  options: CrontabImportOptions;
  env: Map<string, string>;
  pending: Pending;
  pipelines: ImportedPipeline[];
  taken: Set<string>;
  notImported: number;
  disabled: number;
  notes: ImportNote[];
  said: Set<string>;
}

export function importCrontab(text: string, options: CrontabImportOptions): CrontabImport {
  const system = options.system ?? looksLikeSystemCrontab(text);
  const state: State = { options, env: new Map(), pending: { comments: [], above: [] }, pipelines: [], taken: new Set(), notImported: 0, disabled: 0, notes: [], said: new Set() };
  const { pending } = state;
  for (const line of readCrontabLines(text, system)) {
    switch (line.kind) {
      case "blank":
        flushAbove(pending);
        if (pending.comments.length > 0 && pending.comments[pending.comments.length - 1] !== "") pending.comments.push("");
        break;
      case "comment":
        pending.above.push(` ${visible(line.text)}`);
        break;
      case "env":
        flushAbove(pending);
        state.env.set(line.name, line.value);
        noteSetting(state, line.line, line.name, line.value);
        break;
      case "bad":
        notImported(state, line.line, line.text, line.why);
        break;
      case "disabled":
        addDisabled(state, line.line, line.text, line.job);
        break;
      case "job":
        addJob(state, line.line, line.text, line.job);
        break;
    }
  }
  flushAbove(pending);
  while (pending.comments[pending.comments.length - 1] === "") pending.comments.pop();
  return {
    text: render(state.pipelines, pending.comments, options, system),
    notes: state.notes,
    pipelines: state.pipelines.map((pipeline) => pipeline.name),
    notImported: state.notImported,
    disabled: state.disabled,
    system,
  };
}

/** The comments right above a line that is no job's description are the crontab's own: kept as they are. */
function flushAbove(pending: Pending): void {
  pending.comments.push(...pending.above);
  pending.above = [];
}

/** `once`: a key that says this note only the first time. */
function note(state: State, line: number, message: string, once?: string): void {
  if (once !== undefined) {
    if (state.said.has(once)) return;
    state.said.add(once);
  }
  state.notes.push({ line, message });
}

function notImported(state: State, line: number, text: string, why: string): void {
  flushAbove(state.pending);
  state.notImported++;
  state.pending.comments.push(` line ${line} was not imported: ${visible(why)}`, ` ${visible(text)}`, "");
  note(state, line, `not imported: ${why}`);
}

function addJob(state: State, line: number, text: string, job: CronJob): void {
  const made = pipelineOf(job, state.env, state.options, state.pending.above);
  const name = uniqueName(nameOfCommand(job.command) || `line-${line}`, state.taken);
  const problem = made.problem ?? problemOf(name, made.definition);
  if (problem !== undefined) {
    state.taken.delete(name);
    notImported(state, line, text, problem);
    return;
  }
  if (!made.describedByAbove) flushAbove(state.pending);
  state.pipelines.push({ name, definition: made.definition, comments: [...state.pending.comments, ` line ${line}: ${visible(text)}`, ...made.comments], beforeTasks: made.beforeTasks });
  for (const message of made.notes) note(state, line, message);
  state.pending.comments = [];
  state.pending.above = [];
}

/** A job commented out: the pipeline it would be, commented out, so that taking the # off switches it on. */
function addDisabled(state: State, line: number, text: string, job: CronJob): void {
  flushAbove(state.pending);
  // Its comment stays a comment: it may say why the job is off.
  const made = pipelineOf(job, state.env, state.options, []);
  const name = uniqueName(nameOfCommand(job.command) || `line-${line}`, state.taken);
  if ((made.problem ?? problemOf(name, made.definition)) !== undefined) {
    state.taken.delete(name);
    state.pending.comments.push(` ${visible(`#${text}`)}`);
    return;
  }
  state.disabled++;
  state.pending.comments.push(` line ${line}, switched off in the crontab: ${visible(text)}`, " To run it, take the # off the lines below.", ...commentedPipeline(name, made.definition), "");
}

/** What a setting line means for the jobs after it, said once. */
function noteSetting(state: State, line: number, name: string, value: string): void {
  const say = (message: string, once: string) => note(state, line, message, once);
  if (name === "MAILTO" && value !== "") {
    say(`MAILTO: cron mailed the jobs' output to ${value}; Spire sends no mail and keeps the output (spire logs): each pipeline has a commented-out notify: to hear of failures`, `MAILTO=${value}`);
  } else if (name === "TZ") {
    say("TZ: the commands see it, as under cron; the schedules stay in the system's time zone as cron's did (cron moves them only for CRON_TZ): to move one, set timezone: on its trigger", "TZ");
  } else if (MAIL_SETTINGS.has(name)) {
    say(`${name}: a setting of cron's mail, which Spire does not send: left out`, name);
  } else if (name === "RANDOM_DELAY" && !/^\d+$/.test(value)) {
    say(`RANDOM_DELAY: ${JSON.stringify(value)} is not a whole number of minutes: left out`, name);
  } else if (/\$/.test(value) && name !== "MAILTO") {
    say(`${name}: cron does not expand $VARIABLES in settings, and neither does Spire: the value is kept as written (${value})`, `${name}$`);
  }
}

interface JobPipeline {
  definition: Record<string, unknown>;
  /** Comments above the pipeline, after its crontab line. */
  comments: string[];
  /** Comments above its `tasks:` (the commented-out notify). */
  beforeTasks: string[];
  notes: string[];
  /** The comment lines right above the job became its description. */
  describedByAbove: boolean;
  /** Why the job cannot be a pipeline. */
  problem?: string;
}

function pipelineOf(job: CronJob, env: Map<string, string>, options: CrontabImportOptions, above: string[]): JobPipeline {
  const comments: string[] = [];
  const notes: string[] = [];
  const split = splitPercent(job.command);
  if (split.command.trim() === "") return { definition: {}, comments, beforeTasks: [], notes, describedByAbove: false, problem: "the command is empty before its first % (the rest would be its input)" };
  let run = split.command;
  if (split.stdin !== undefined) {
    if (endsInEscape(split.command)) return { definition: {}, comments, beforeTasks: [], notes, describedByAbove: false, problem: "the command ends in a backslash before its % input; write it without one" };
    run = withStdin(split.command, split.stdin);
    comments.push(" cron's % rule: the text after the first unescaped % was the command's input; here it is a here-document.");
    notes.push("the text after the first unescaped % is the command's standard input (cron's % rule): it became a here-document. If the % was meant as a % (date +%F), cron never ran what was meant: write the command as meant in its run:");
  }
  const trigger: Record<string, unknown> = {};
  if (job.schedule === "") {
    comments.push(" @reboot: cron ran this once when the machine started. Spire has no start-up trigger: it runs", ` when asked (spire run NAME), e.g. from a login script once the engine runs.`);
    notes.push("@reboot has no trigger in Spire: the pipeline runs when asked (spire run NAME), e.g. from a login script once the engine runs");
  } else {
    trigger.cron = job.schedule;
    const zone = env.get("CRON_TZ");
    if (zone !== undefined && zone !== "") trigger.timezone = zone;
    const delay = env.get("RANDOM_DELAY");
    if (delay !== undefined && /^\d+$/.test(delay) && Number(delay) > 0) trigger.jitter = `${Number(delay)}m`;
  }
  if (job.user !== undefined) {
    comments.push(` cron ran this as ${visible(job.user)}; Spire runs it as the user who runs the engine, in that user's home.`);
    notes.push(`cron ran this as ${job.user}; Spire runs it as the user who runs the engine`);
  }
  const home = env.get("HOME") || options.home;
  const task: Record<string, unknown> = { run };
  const shell = env.get("SHELL");
  if (shell !== undefined && shell !== "" && shell !== "/bin/sh" && shell !== "sh") task.shell = shell;
  task.cwd = home;
  const described = describedBy(above);
  const definition: Record<string, unknown> = { description: described ?? summary(split.command) };
  if (job.schedule !== "") definition.triggers = [trigger];
  const variables = Object.fromEntries([...env].filter(([name]) => !OWN_SETTINGS.has(name)));
  if (Object.keys(variables).length > 0) definition.env = variables;
  definition.tasks = { [CRON_TASK]: task };
  return { definition, comments, beforeTasks: mailNotify(env.get("MAILTO")), notes, describedByAbove: described !== undefined };
}

/** The comment right above a job, when it is short and says what the job is (not the `m h dom mon dow` header). */
function describedBy(above: string[]): string | undefined {
  const text = above.map((line) => line.trim()).filter((line) => line !== "");
  if (text.length === 0 || text.length > 2) return undefined;
  if (text.some((line) => FIELD_HEADER.test(line))) return undefined;
  return text.join(" ");
}

function summary(command: string): string {
  const first = command.split("\n", 1)[0]!.trim();
  return first.length > 100 ? `${first.slice(0, 99)}…` : first;
}

/** cron mailed the output; a commented-out notification to take its place. */
function mailNotify(mailto: string | undefined): string[] {
  if (mailto === undefined || mailto === "") return [];
  const address = `'${mailto.replaceAll("'", `'\\''`)}'`;
  return [
    ` cron mailed this job's output to ${visible(mailto)} (MAILTO). Spire sends no mail: the output`,
    " is kept (spire logs). To hear of failures, take the # off (or use webhook: or mqtt:):",
    " notify:",
    "   - on: [failure]",
    `     run: printf '%s\\n' "$SPIRE_NOTIFY_TEXT" | mail -s "$SPIRE_NOTIFY_TEXT" ${visible(address)}`,
  ];
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let count = 2; taken.has(name); count++) name = `${base}-${count}`;
  taken.add(name);
  return name;
}

/** Why Spire would refuse this pipeline (as spire validate says it), or undefined. */
function problemOf(name: string, definition: Record<string, unknown>): string | undefined {
  const parsed = parseDefinitions(stringify({ pipelines: { [name]: definition } }), "crontab");
  if (parsed.ok) return undefined;
  return parsed.errors.map((error) => `${error.keyPath.replace(/^pipelines\.[^.]+\./, "")}: ${error.message}`).join("; ");
}

/** A pipeline as YAML lines under `pipelines:`, each a comment (taking off `#` gives it back). */
function commentedPipeline(name: string, definition: Record<string, unknown>): CommentLine[] {
  const doc = quotedCrons(new Document({ [name]: definition }));
  return doc
    .toString({ lineWidth: 0 })
    .replace(/\n$/, "")
    .split("\n")
    .map((line) => ({ yaml: line }));
}

/** Comment lines as the yaml package takes them; `indent`: the spaces a commented-out pipeline needs after `#`. */
function commentText(lines: CommentLine[], indent: string): string {
  let start = 0;
  while (lines[start] === "") start++;
  return lines
    .slice(start)
    .map((line) => (typeof line === "string" ? line : ` ${indent}${line.yaml}`))
    .join("\n");
}

function render(pipelines: ImportedPipeline[], trailing: CommentLine[], options: CrontabImportOptions, system: boolean): string {
  const doc = quotedCrons(new Document({ pipelines: Object.fromEntries(pipelines.map((pipeline) => [pipeline.name, pipeline.definition])) }));
  doc.commentBefore = header(options, system).join("\n");
  const map = doc.get("pipelines", true);
  if (map && typeof map === "object" && "items" in map) {
    for (const [index, pair] of (map.items as unknown[]).entries()) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const pipeline = pipelines[index]!;
      const key = pair.key as Scalar;
      key.commentBefore = commentText(pipeline.comments, "");
      if (index > 0) key.spaceBefore = true;
      if (pipeline.beforeTasks.length > 0 && pair.value && typeof pair.value === "object" && "items" in pair.value) {
        const tasks = (pair.value.items as unknown[]).find((item) => isPair(item) && isScalar(item.key) && item.key.value === "tasks");
        if (isPair(tasks) && isScalar(tasks.key)) tasks.key.commentBefore = pipeline.beforeTasks.join("\n");
      }
    }
  }
  // A trailing comment stands at the left margin: commented-out pipelines are indented to their place under pipelines:.
  if (trailing.length > 0) doc.comment = commentText(trailing, "  ");
  return doc.toString({ lineWidth: 0 });
}

/** Crons in double quotes, as people write them (and `*` could not start a plain scalar anyway). */
function quotedCrons(doc: Document): Document {
  visit(doc, {
    Pair(_key, pair) {
      if (isScalar(pair.key) && pair.key.value === "cron" && isScalar(pair.value)) pair.value.type = "QUOTE_DOUBLE";
    },
  });
  return doc;
}

function header(options: CrontabImportOptions, system: boolean): string[] {
  const file = options.fileName;
  return [
    ...(options.schemaUrl === undefined ? [] : [` yaml-language-server: $schema=${options.schemaUrl}`]),
    ` Imported by \`spire import crontab\` from ${visible(options.source)}${system ? " (a system crontab: the user field is noted on each job)" : ""}.`,
    " Each job is a pipeline, its crontab line in the comment above it. Its task runs the command",
    " as cron did: with sh -c (run:), in the home folder (cwd:), with the crontab's settings (env:),",
    " at the same times, in the engine's time zone (the system's, as for cron) unless CRON_TZ gave one.",
    " Unlike cron: Spire keeps each run's output (spire logs NAME) and mails nothing; a pipeline runs",
    " once at a time (a run still going makes the next one wait); and a slot missed while the engine",
    " was down runs once when it starts (add catchup: none to a pipeline to skip it, as cron does).",
    ` Check:  spire validate -f ${file}   spire next NAME -f ${file}   spire run -f ${file} NAME`,
    ` Then:   spire engine -f ${file}     (or spire apply -f ${file} to an engine that runs)`,
  ];
}

/** Text safe in a comment: control characters shown as \xNN (a comment ends at a line break). */
function visible(text: string): string {
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
