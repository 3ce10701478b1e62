/** `spire ls` (pipelines with last result and next fire time) and `spire ns` (namespaces with origin). */
import pc from "picocolors";
import { withClient, type Target } from "../connect.js";
import { ICONS, clock, duration, paint } from "../render/format.js";
import { table } from "../render/table.js";

export async function lsCommand(options: Target & { ns?: string; json?: boolean }): Promise<void> {
  const { pipelines, inProcess } = await withClient(options, async (client) => ({ pipelines: await client.listPipelines(options.ns), inProcess: client.location.kind === "in-process" }));
  if (options.json) return void process.stdout.write(`${JSON.stringify(pipelines, null, 2)}\n`);
  if (pipelines.length === 0) return void process.stdout.write(pc.dim("no pipelines — add some with: spire apply -f spire.yaml\n"));
  const now = Date.now();
  process.stdout.write(
    table(
      ["PIPELINE", "LAST RUN", "NEXT", "TRIGGERS", "DESCRIPTION"],
      pipelines.map((p) => [
        `${p.namespace}/${p.name}${p.paused ? pc.yellow(p.paused_reason ? ` (paused: ${p.paused_reason})` : " (paused)") : ""}`,
        p.last_run ? paint(p.last_run.state, `${ICONS[p.last_run.state]} ${p.last_run.state} ${p.last_run.id}`) + pc.dim(ago(p.last_run.finished_at, now)) : pc.dim("never"),
        p.next_fire_at ? `${clock(p.next_fire_at)}${pc.dim(` (in ${roughly(Date.parse(p.next_fire_at) - now)})`)}` : pc.dim("—"),
        p.triggers.map((trigger) => trigger.kind).join(", ") || pc.dim("manual"),
        // Ad hoc jobs (spire run -- …, spire watch -- …) say so here, with their command.
        shorten(p.description ?? "", 60),
      ]),
    ),
  );
  // Without an engine nothing fires, and it is the engine that counts the next times.
  const timed = pipelines.some((p) => p.triggers.some((trigger) => trigger.kind !== "webhook"));
  if (inProcess && timed) process.stdout.write(pc.yellow("no engine is running: no trigger fires until one does (spire engine)\n"));
}

function ago(finishedAt: string | null, now: number): string {
  return finishedAt ? ` ${roughly(now - Date.parse(finishedAt))} ago` : "";
}

/** 4.2s, 3m05s, 2h10m, and days beyond two of them. */
function roughly(ms: number): string {
  const DAY = 86_400_000;
  return ms >= 2 * DAY ? `${Math.round(ms / DAY)}d` : duration(Math.max(0, ms));
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export async function nsCommand(options: Target & { json?: boolean }): Promise<void> {
  const namespaces = await withClient(options, (client) => client.listNamespaces());
  if (options.json) return void process.stdout.write(`${JSON.stringify(namespaces, null, 2)}\n`);
  if (namespaces.length === 0) return void process.stdout.write(pc.dim("no namespaces yet\n"));
  process.stdout.write(
    table(
      ["NAMESPACE", "FROM", "APPLIED", "BY"],
      namespaces.map((ns) => [ns.name, `${ns.origin.user}@${ns.origin.host}:${ns.origin.path ?? "-"}`, clock(ns.origin.applied_at), ns.origin.author ?? ""]),
    ),
  );
}
