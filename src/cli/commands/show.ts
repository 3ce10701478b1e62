/** `spire show RUN`: the run as a tree — states, times, attempts, where each ran, exit codes, resources, counts, metrics, outputs. */
import { hostname } from "node:os";
import pc from "picocolors";
import type { TaskObject } from "../../engine/reads/run-object.js";
import type { MetricAggregate } from "../../exec/port.js";
import { planPipeline } from "../../plan/plan.js";
import type { Plan, PlannedNode } from "../../plan/types.js";
import type { MissedObject, RunObject, SpireClient } from "../../client/port.js";
import { withClient, type Target } from "../connect.js";
import { ICONS, bytes, clock, duration, paint } from "../render/format.js";
import { messageLines } from "../render/messages.js";
import { resolvePipeline, resolveRun } from "../resolve.js";

export async function showCommand(given: string, pipeline: string | undefined, options: Target & { json?: boolean; ns?: string }): Promise<void> {
  await withClient(options, async (client) => {
    const id = await runOf(client, given, pipeline, options.ns);
    const object = await client.getRun(id);
    if (options.json) return void process.stdout.write(`${JSON.stringify(object, null, 2)}\n`);
    const planned = planPipeline(object.pipeline, await client.getRunDefinition(id));
    // Slots that the same catch-up did not run, such as the older ones under `catchup: latest`.
    const missed = object.trigger.scheduled_at ? await client.listMissed(object.namespace, object.pipeline, { limit: 5, run: id }).catch(() => []) : [];
    process.stdout.write(renderRun(object, planned.ok ? planned.plan : undefined, missed));
  });
}

/** RUN, or `last PIPELINE` (`spire show last backup`). */
/** `command`: the command the user typed, for its hints. */
export async function runOf(client: SpireClient, given: string, pipeline: string | undefined, ns?: string, command = "show"): Promise<string> {
  return resolveRun(client, given, pipeline !== undefined ? await resolvePipeline(client, pipeline, ns) : undefined, command);
}

export function renderRun(run: RunObject, plan: Plan | undefined, missed: MissedObject[] = []): string {
  const out: string[] = [];
  out.push(`${paint(run.state, `${ICONS[run.state]} ${run.state}`)}  ${pc.bold(`${run.namespace}/${run.pipeline}`)}  ${pc.dim(run.id)}`);
  const trigger = run.trigger.scheduled_at ? `${run.trigger.kind} (slot ${clock(run.trigger.scheduled_at)})` : run.trigger.kind;
  // An older engine sends no seed.
  const seed = typeof run.seed === "number" ? ` · seed ${run.seed}` : "";
  out.push(pc.dim(`trigger ${trigger} · created ${clock(run.created_at)}${run.duration_ms !== null ? ` · took ${duration(run.duration_ms)}` : ""}${seed}`));
  out.push(...missed.map(missedLine));
  if (Object.keys(run.args).length) out.push(pc.dim(`args ${Object.entries(run.args).map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(" ")}`));
  if (run.reason) out.push(`reason: ${run.reason}`);
  const counts = [counted(run.warnings, "warning"), counted(run.errors, "error")].filter(Boolean);
  if (counts.length) out.push(counts.join(", "));
  const resources = [run.cpu_ms !== null ? `cpu ${duration(run.cpu_ms)} (all attempts)` : "", run.peak_rss_bytes !== null ? `peak mem ${bytes(run.peak_rss_bytes)}` : ""].filter(Boolean);
  if (resources.length) out.push(pc.dim(resources.join(" · ")));
  out.push(...metricLines(run.metrics, ""));
  out.push("");
  const groups = new Map(run.groups.map((group) => [group.path, group]));
  // Where tasks ran is worth a word only when it is not simply here: several machines, or one that is not this one.
  const machines = new Set(run.tasks.map((task) => task.worker).filter((worker): worker is string => worker != null));
  const showWorkers = machines.size > 1 || (machines.size === 1 && !machines.has(hostname()));
  const tasks = new Map(run.tasks.map((task) => [task.path, task]));
  for (const node of plan?.nodes ?? []) {
    const indent = "  ".repeat(depthOf(node, plan!));
    const group = groups.get(node.path);
    const task = tasks.get(node.path);
    if (group) out.push(`${indent}${paint(group.state, `${ICONS[group.state]} ${node.name}${node.arrayIndex !== undefined ? `[${node.arrayIndex}]` : ""}`)}${group.warnings || group.errors ? pc.dim(`  ${group.warnings}w ${group.errors}e`) : ""}`);
    else if (task) out.push(...taskLines(task, node.arrayIndex !== undefined ? `${node.name}[${node.arrayIndex}]` : node.name, indent, run.id, showWorkers));
  }
  if (!plan) for (const task of run.tasks) out.push(...taskLines(task, task.path, "", run.id, showWorkers));
  return out.join("\n") + "\n";
}

/** `1 warning`, `3 errors`; nothing for none. */
function counted(count: number, word: string): string {
  return count === 0 ? "" : `${count} ${word}${count === 1 ? "" : "s"}`;
}

function missedLine(record: MissedObject): string {
  const count = `${record.count_exact ? "" : "at least "}${record.count} slot${record.count === 1 ? "" : "s"}`;
  const when = record.count === 1 ? clock(record.first_slot) : `${clock(record.first_slot)} … ${clock(record.last_slot)}`;
  return pc.yellow(`missed before this run: ${count} (${when}): ${record.reason}`);
}

function depthOf(node: PlannedNode, plan: Plan): number {
  let depth = 0;
  for (let parent = node.parent; parent !== undefined; parent = plan.byPath.get(parent)?.parent) depth++;
  return depth;
}

function taskLines(task: TaskObject, name: string, indent: string, runId: string, showWorker: boolean): string[] {
  const facts: string[] = [];
  if (task.duration_ms !== null) facts.push(duration(task.duration_ms));
  if (task.attempts > 1) facts.push(`${task.attempts} attempts`);
  // Where the last attempt ran (a worker's name; the engine's own machine goes by its host name).
  if (showWorker && task.worker != null) facts.push(`on ${task.worker}`);
  if (task.exit_code !== null) facts.push(`exit ${task.exit_code}`);
  if (task.signal) facts.push(task.signal);
  if (task.cpu_ms !== null) facts.push(`cpu ${duration(task.cpu_ms)}`);
  if (task.peak_rss_bytes !== null) facts.push(`mem ${bytes(task.peak_rss_bytes)}`);
  if (task.warnings) facts.push(pc.yellow(`${task.warnings} warning${task.warnings === 1 ? "" : "s"}`));
  if (task.errors) facts.push(pc.red(`${task.errors} error${task.errors === 1 ? "" : "s"}`));
  const lines = [`${indent}${paint(task.state, `${ICONS[task.state]} ${name}`)}  ${pc.dim(facts.join(" · "))}`];
  if (task.reason) lines.push(`${indent}    ${pc.dim(task.reason)}`);
  for (const [key, value] of Object.entries(task.outputs)) lines.push(`${indent}    ${pc.dim("output")} ${key}=${value}`);
  lines.push(...metricLines(task.metrics, `${indent}    `));
  lines.push(...messageLines(task, { indent: `${indent}    `, runId }));
  return lines;
}

function metricLines(metrics: Record<string, MetricAggregate>, indent: string): string[] {
  return Object.entries(metrics).map(
    ([name, m]) => `${indent}${pc.dim("metric")} ${name}: min ${m.min} max ${m.max} mean ${Number(m.mean.toFixed(3))} sum ${m.sum} count ${m.count}`,
  );
}
