/** `spire ls` (pipelines with last result and next fire time) and `spire ns` (namespaces with origin). */
import pc from "picocolors";
import type { PipelineSummary } from "../../engine/service.js";
import type { NamespaceRow } from "../../store/port.js";
import { requireEngine } from "../client.js";
import { ICONS, paint } from "../render/format.js";
import { table } from "../render/table.js";

export async function lsCommand(options: { ns?: string; json?: boolean; data?: string; engine?: string }): Promise<void> {
  const client = await requireEngine(options);
  const { pipelines } = await client.call<{ pipelines: PipelineSummary[] }>("GET", `/pipelines${options.ns ? `?namespace=${encodeURIComponent(options.ns)}` : ""}`);
  if (options.json) return void process.stdout.write(`${JSON.stringify(pipelines, null, 2)}\n`);
  if (pipelines.length === 0) return void process.stdout.write(pc.dim("no pipelines — add some with: spire apply -f spire.yaml\n"));
  process.stdout.write(
    table(
      ["PIPELINE", "LAST RUN", "NEXT", "TRIGGERS"],
      pipelines.map((p) => [
        `${p.namespace}/${p.name}${p.paused ? pc.yellow(" (paused)") : ""}`,
        p.last_run ? paint(p.last_run.state, `${ICONS[p.last_run.state]} ${p.last_run.state} ${p.last_run.id}`) : pc.dim("never"),
        p.next_fire_at ?? pc.dim("—"),
        p.triggers.map((trigger) => trigger.kind).join(", ") || pc.dim("manual"),
      ]),
    ),
  );
}

export async function nsCommand(options: { json?: boolean; data?: string; engine?: string }): Promise<void> {
  const client = await requireEngine(options);
  const { namespaces } = await client.call<{ namespaces: NamespaceRow[] }>("GET", "/namespaces");
  if (options.json) return void process.stdout.write(`${JSON.stringify(namespaces, null, 2)}\n`);
  if (namespaces.length === 0) return void process.stdout.write(pc.dim("no namespaces yet\n"));
  process.stdout.write(
    table(
      ["NAMESPACE", "FROM", "APPLIED", "BY"],
      namespaces.map((ns) => [ns.name, `${ns.origin.user}@${ns.origin.host}:${ns.origin.path ?? "-"}`, new Date(ns.origin.applied_at).toLocaleString(), ns.origin.author ?? ""]),
    ),
  );
}
