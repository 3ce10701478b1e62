/**
 * `spire run [--when SPEC] [--ns NS] -- COMMAND…`: an ad hoc job. The command
 * becomes a one-task pipeline in a namespace (default: a digest of host,
 * user and the current folder, as a file's is of its path), listed by
 * `spire ls` and removed with `spire rm`. Now: run and follow it (on the
 * engine, or in this process when none runs). On a schedule: apply it to the
 * engine, without touching the namespace's other pipelines.
 */
import { causedBy } from "../caused-by.js";
import pc from "picocolors";
import type { ChangeSet, NamespaceInfo, SpireClient } from "../../client/port.js";
import { formatDefinitionErrors, parseDefinitions } from "../../definitions/load.js";
import { defaultNamespace, originOf, type Origin } from "../../definitions/namespace.js";
import { NAME_PATTERN, type SpireFile } from "../../definitions/schema.js";
import { describeTrigger, nextTimes, scheduleOf, systemZone } from "../../time/index.js";
import { adhocDefinition, adhocName, definitionsText, parseCommand, parseWhen, triggersOf, type AdhocPipeline, type When } from "../adhoc/job.js";
import { OutputRenderer } from "../adhoc/output.js";
import { connect } from "../connect.js";
import { CliError, EXIT } from "../errors.js";
import { followRun } from "../follow.js";
import { clock } from "../render/format.js";
import { requireEngine } from "./control.js";
import type { ResourceFlags } from "../resource-options.js";
import { inProcessSettings, parseSeed, sayEngineLimits } from "./run.js";

export interface AdhocOptions extends ResourceFlags {
  when?: string;
  /** --seed N (a run now only). */
  seed?: string;
  ns?: string;
  json?: boolean;
  detach?: boolean;
  parallelism?: string;
  partition?: string;
  data?: string;
  engine?: string;
}

/** An ad hoc pipeline, placed: its namespace, name, and the file that defines it. */
export interface PlacedJob {
  namespace: string;
  name: string;
  origin: Origin;
  cwd: string;
  /** The generated definitions text (what apply receives) and its parsed form. */
  text: string;
  file: SpireFile;
}

const FILE_NAME = "(ad hoc job)";

export async function adhocCommand(words: string[], options: AdhocOptions): Promise<number> {
  const command = parseCommand(words, "spire run -- echo hello");
  const when = parseWhen(options.when);
  const seed = parseSeed(options.seed);
  if (seed !== undefined && when.kind !== "once") throw new CliError("--seed is for a run now, not for a schedule: each scheduled run draws its own", EXIT.usage, "Drop --when to run it now with that seed: spire run --seed N -- COMMAND");
  const cwd = process.cwd();
  const name = adhocName(command, cwd, whenKey(when));
  const pipeline: AdhocPipeline = { command, cwd, triggers: triggersOf(when), kind: "run" };
  const client = await connect(options, inProcessSettings(options));
  try {
    if (when.kind !== "once") requireEngine(client.location, `a schedule (--when ${options.when})`);
    if (options.detach) requireEngine(client.location, "--detach");
    sayEngineLimits(client.location, options);
    const job = placeJob(name, pipeline, options.ns, await existingNamespace(client, options.ns));
    const change = await applyJob(client, job);
    if (when.kind !== "once") return await printScheduled(client, job, change, options.json === true);
    const run = await client.startRun(job.namespace, job.name, { args: {}, ...(options.partition ? { partition: options.partition } : {}), ...(seed !== undefined ? { seed } : {}), ...causedBy() });
    if (options.detach) return void process.stdout.write(`${run.id}\n`), EXIT.ok;
    return await followRun(client, run, { json: options.json === true, ...(options.json ? {} : { renderer: new OutputRenderer() }) });
  } finally {
    await client.close();
  }
}

/** What tells one schedule from another in the pipeline's name. */
function whenKey(when: When): string {
  return JSON.stringify(when);
}

/**
 * The definitions text of the job in its namespace. A namespace that exists
 * keeps its origin, metadata and locks (apply replaces them with the
 * file's); a new one gets this folder as its origin.
 */
export function placeJob(name: string, pipeline: AdhocPipeline, ns: string | undefined, existing: NamespaceInfo | undefined): PlacedJob {
  const origin = originOf(pipeline.cwd);
  const namespace = ns ?? defaultNamespace(origin.host, origin.user, pipeline.cwd);
  if (!NAME_PATTERN.test(namespace)) throw new CliError(`--ns ${JSON.stringify(namespace)} is not a namespace name`, EXIT.usage, "Use letters, digits, '_', '.' and '-', not starting with '.' or '-'.");
  const text = definitionsText(namespace, name, adhocDefinition(pipeline), existing ? { metadata: existing.metadata } : {});
  const parsed = parseDefinitions(text, FILE_NAME);
  if (!parsed.ok) {
    // The words themselves can be wrong for a definition, e.g. an unknown ${{ template }} in an argument.
    throw new CliError(`this command cannot be an ad hoc job:\n${formatDefinitionErrors(parsed.errors)}`, EXIT.usage, "A word with ${{ … }} is a template, filled in when the job runs.");
  }
  const kept = existing ? { host: existing.origin.host, user: existing.origin.user, path: existing.origin.path ?? pipeline.cwd } : origin;
  return { namespace, name, origin: kept, cwd: pipeline.cwd, text, file: parsed.file };
}

/** The namespace --ns names, as it is (a job put there keeps its origin and metadata). */
export async function existingNamespace(client: SpireClient, ns: string | undefined): Promise<NamespaceInfo | undefined> {
  if (ns === undefined) return undefined;
  return (await client.listNamespaces()).find((row) => row.name === ns);
}

/** Upserts the job's pipeline; prune is off, so the namespace's other pipelines stay as they are. */
export async function applyJob(client: SpireClient, job: PlacedJob): Promise<ChangeSet> {
  return client.apply({ text: job.text, fileName: FILE_NAME, prune: false, dryRun: false, origin: job.origin });
}

function changeOf(change: ChangeSet, name: string): "created" | "changed" | "unchanged" {
  return change.created.includes(name) ? "created" : change.changed.includes(name) ? "changed" : "unchanged";
}

/** What was made, when it fires next (as the engine counts), and how to see and remove it. */
async function printScheduled(client: SpireClient, job: PlacedJob, change: ChangeSet, json: boolean): Promise<number> {
  const detail = await client.getPipeline(job.namespace, job.name);
  const zone = systemZone();
  const trigger = detail.definition.triggers[0]!;
  const description = describeTrigger(trigger, { defaultZone: zone });
  // The engine's next fire time anchors an unaligned `every` (it counts from when the engine first saw it).
  const first = detail.next_fire_at ? Date.parse(detail.next_fire_at) : undefined;
  const schedule = scheduleOf(trigger, { defaultZone: zone, ...(first !== undefined ? { anchor: first } : {}) });
  const next = detail.paused ? [] : nextTimes(schedule, first !== undefined ? first - 1 : Date.now(), 3, trigger.timezone ?? zone);
  const made = changeOf(change, job.name);
  if (json) {
    process.stdout.write(`${JSON.stringify({ namespace: job.namespace, pipeline: job.name, change: made, paused: detail.paused, description, next: next.map((time) => time.iso) }, null, 2)}\n`);
    return EXIT.ok;
  }
  const what = { created: "made", changed: "updated", unchanged: "already there" }[made];
  process.stdout.write(`${pc.green("✓")} ${job.namespace}/${job.name} ${what}: ${detail.description?.replace(/^ad hoc run: /, "") ?? ""}\n`);
  process.stdout.write(`  ${description}${detail.paused ? pc.yellow(` — paused; start it with: spire resume ${job.namespace}/${job.name}`) : ""}\n`);
  for (const time of next) process.stdout.write(`  next: ${clock(time.at)}${time.dstChange ? pc.yellow(`   ← the clock changes here: ${time.dstChange.before} → ${time.dstChange.after}`) : ""}\n`);
  process.stdout.write(pc.dim(`  its runs: spire runs ${job.name}    remove it: spire rm ${job.namespace}/${job.name}\n`));
  return EXIT.ok;
}
