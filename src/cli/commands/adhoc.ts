/**
 * `spire run [--when SPEC] [--ns NS] -- COMMAND…`: an ad hoc job. The command
 * becomes a one-task pipeline in a namespace (default: a digest of host,
 * user and the current folder, as a file's is of its path), listed by
 * `spire ls` and removed with `spire rm`. Now: run and follow it (on the
 * engine, or in this process when none runs). On a schedule: apply it to the
 * engine, without touching the namespace's other pipelines.
 */
import pc from "picocolors";
import type { ChangeSet, PipelineDetail } from "../../engine/service.js";
import type { RunObject } from "../../engine/run-object.js";
import { formatDefinitionErrors, parseDefinitions } from "../../spec/load.js";
import { defaultNamespace, originOf, type Origin } from "../../spec/namespace.js";
import { NAME_PATTERN, type SpireFile } from "../../spec/schema.js";
import type { NamespaceRow } from "../../store/port.js";
import { describeTrigger, nextTimes, scheduleOf, systemZone } from "../../time/index.js";
import { adhocDefinition, adhocName, definitionsText, parseCommand, parseWhen, triggersOf, type AdhocPipeline, type When } from "../adhoc/job.js";
import { OutputRenderer } from "../adhoc/output.js";
import { EngineClient, engineAnswers, findEngine } from "../client.js";
import { openStore } from "../context.js";
import { CliError, EXIT } from "../errors.js";
import { followRun } from "../follow.js";
import { runInProcess } from "./run.js";

export interface AdhocOptions {
  when?: string;
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
  const cwd = process.cwd();
  const name = adhocName(command, cwd, whenKey(when));
  const pipeline: AdhocPipeline = { command, cwd, triggers: triggersOf(when), kind: "run" };
  const client = await engineIfUp(options);
  if (!client) {
    if (when.kind !== "once") throw new CliError(`a schedule (--when ${options.when}) needs the engine, and none is running`, EXIT.unreachable, "Start it with: spire engine   (or spire service install), then run this again.");
    if (options.detach) throw new CliError("--detach needs a running engine", EXIT.unreachable, "Start one with: spire engine");
    const job = placeJob(name, pipeline, options.ns, await localNamespace(options.ns, options.data));
    return runInProcess({ file: job.file, name, namespace: job.namespace, origin: job.origin, baseDir: cwd, ...(options.json ? {} : { renderer: new OutputRenderer() }) }, {}, { ...options, arg: [] });
  }
  const job = placeJob(name, pipeline, options.ns, await engineNamespace(client, options.ns));
  const change = await applyJob(client, job);
  if (when.kind !== "once") return printScheduled(client, job, change, options.json === true);
  const run = await client.call<RunObject>("POST", `${pipelinePath(job)}/runs`, { args: {}, ...(options.partition ? { partition: options.partition } : {}) });
  if (options.detach) return void process.stdout.write(`${run.id}\n`), EXIT.ok;
  return followRun(client, run, { json: options.json === true, ...(options.json ? {} : { renderer: new OutputRenderer() }) });
}

/** What tells one schedule from another in the pipeline's name. */
function whenKey(when: When): string {
  return JSON.stringify(when);
}

export async function engineIfUp(options: { data?: string; engine?: string }): Promise<EngineClient | undefined> {
  const target = findEngine(options);
  return target !== undefined && (await engineAnswers(target)) ? new EngineClient(target) : undefined;
}

/**
 * The definitions text of the job in its namespace. A namespace that exists
 * keeps its origin, metadata and locks (apply replaces them with the
 * file's); a new one gets this folder as its origin.
 */
export function placeJob(name: string, pipeline: AdhocPipeline, ns: string | undefined, existing: NamespaceRow | undefined): PlacedJob {
  const origin = originOf(pipeline.cwd);
  const namespace = ns ?? defaultNamespace(origin.host, origin.user, pipeline.cwd);
  if (!NAME_PATTERN.test(namespace)) throw new CliError(`--ns ${JSON.stringify(namespace)} is not a namespace name`, EXIT.usage, "Use letters, digits, '_', '.' and '-', not starting with '.' or '-'.");
  const text = definitionsText(namespace, name, adhocDefinition(pipeline), existing ? { metadata: existing.metadata } : {});
  const parsed = parseDefinitions(text, FILE_NAME);
  if (!parsed.ok) {
    // The words themselves can be wrong for a definition, e.g. an unknown ${{ template }} in an argument.
    throw new CliError(`this command cannot be an ad hoc job:\n${formatDefinitionErrors(parsed.errors)}`, EXIT.usage, "A word with ${{ … }} is a template, filled in when the job runs (SPEC §2).");
  }
  const kept = existing ? { host: existing.origin.host, user: existing.origin.user, path: existing.origin.path ?? pipeline.cwd } : origin;
  return { namespace, name, origin: kept, cwd: pipeline.cwd, text, file: parsed.file };
}

export async function engineNamespace(client: EngineClient, ns: string | undefined): Promise<NamespaceRow | undefined> {
  if (ns === undefined) return undefined;
  const { namespaces } = await client.call<{ namespaces: NamespaceRow[] }>("GET", "/namespaces");
  return namespaces.find((row) => row.name === ns);
}

export async function localNamespace(ns: string | undefined, data: string | undefined): Promise<NamespaceRow | undefined> {
  if (ns === undefined) return undefined;
  const { store } = await openStore(data);
  try {
    return (await store.getNamespace(ns)) ?? undefined;
  } finally {
    await store.close();
  }
}

/** Upserts the job's pipeline; prune is off, so the namespace's other pipelines stay as they are. */
export async function applyJob(client: EngineClient, job: PlacedJob): Promise<ChangeSet> {
  return client.call<ChangeSet>("POST", "/apply", { text: job.text, file_name: FILE_NAME, prune: false, dry_run: false, origin: job.origin });
}

export function pipelinePath(job: { namespace: string; name: string }): string {
  return `/pipelines/${encodeURIComponent(job.namespace)}/${encodeURIComponent(job.name)}`;
}

function changeOf(change: ChangeSet, name: string): "created" | "changed" | "unchanged" {
  return change.created.includes(name) ? "created" : change.changed.includes(name) ? "changed" : "unchanged";
}

/** What was made, when it fires next (as the engine counts), and how to see and remove it. */
async function printScheduled(client: EngineClient, job: PlacedJob, change: ChangeSet, json: boolean): Promise<number> {
  const detail = await client.call<PipelineDetail>("GET", pipelinePath(job));
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
  for (const time of next) process.stdout.write(`  next: ${time.iso}${time.dstChange ? pc.yellow(`   ← the clock changes here: ${time.dstChange.before} → ${time.dstChange.after}`) : ""}\n`);
  process.stdout.write(pc.dim(`  its runs: spire runs ${job.name}    remove it: spire rm ${job.namespace}/${job.name}\n`));
  return EXIT.ok;
}
