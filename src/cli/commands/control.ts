/** `spire cancel RUN`, `spire retry RUN [--from TASK]`, `spire pause|resume|rm PIPELINE` through the engine. */
import pc from "picocolors";
import type { RunObject } from "../../engine/run-object.js";
import { CliError, EXIT } from "../errors.js";
import { requireEngine, type EngineClient } from "../client.js";
import { ICONS, paint } from "../render/format.js";
import { followRun } from "../follow.js";

type Remote = { data?: string; engine?: string };

export async function cancelCommand(run: string, options: Remote & { json?: boolean }): Promise<void> {
  const client = await requireEngine(options);
  const result = await client.call<RunObject>("POST", `/runs/${encodeURIComponent(await resolveRemoteRun(client, run))}/cancel`);
  if (options.json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${paint(result.state, ICONS[result.state])} run ${result.id}: cancel requested (${result.state})\n`);
}

export async function retryCommand(run: string, options: Remote & { from?: string; detach?: boolean; json?: boolean }): Promise<number> {
  const client = await requireEngine(options);
  const result = await client.call<RunObject>("POST", `/runs/${encodeURIComponent(await resolveRemoteRun(client, run))}/retry`, options.from ? { from: options.from } : {});
  if (options.detach) return void process.stdout.write(`${result.id}\n`), EXIT.ok;
  return followRun(client, result, { json: options.json === true });
}

export async function pipelineCommand(action: "pause" | "resume" | "rm", pipeline: string, options: Remote & { ns?: string }): Promise<void> {
  const client = await requireEngine(options);
  const { namespace, name } = await resolvePipeline(client, pipeline, options.ns);
  const path = `/pipelines/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  if (action === "rm") await client.call("DELETE", path);
  else await client.call("POST", `${path}/${action}`);
  const done = { pause: "paused", resume: "resumed", rm: "removed" }[action];
  process.stdout.write(`${pc.green("✓")} ${namespace}/${name} ${done}\n`);
}

/** `NS/NAME`, or a NAME that is unique across namespaces (or in --ns). */
export async function resolvePipeline(client: EngineClient, given: string, ns?: string): Promise<{ namespace: string; name: string }> {
  const slash = given.indexOf("/");
  if (slash > 0) return { namespace: given.slice(0, slash), name: given.slice(slash + 1) };
  const { pipelines } = await client.call<{ pipelines: { namespace: string; name: string }[] }>("GET", `/pipelines${ns ? `?namespace=${encodeURIComponent(ns)}` : ""}`);
  const matches = pipelines.filter((p) => p.name === given);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new CliError(`no pipeline named ${given}${ns ? ` in namespace ${ns}` : ""}`, EXIT.usage, "See them with: spire ls");
  throw new CliError(`${given} is in several namespaces: ${matches.map((p) => p.namespace).join(", ")}`, EXIT.usage, `Say which: spire … ${matches[0]!.namespace}/${given}, or --ns NS`);
}

/** A run id, a unique prefix, or `last`, resolved through the engine's history. */
export async function resolveRemoteRun(client: EngineClient, given: string): Promise<string> {
  if (/^[0-9a-z]{16}$/.test(given)) return given;
  const { runs } = await client.call<{ runs: { id: string }[] }>("GET", `/runs?limit=${given === "last" ? 1 : 200}`);
  if (given === "last" || given === "latest") {
    if (!runs[0]) throw new CliError("there are no runs yet", EXIT.usage);
    return runs[0].id;
  }
  const found = runs.filter((run) => run.id.startsWith(given));
  if (found.length === 1) return found[0]!.id;
  throw new CliError(found.length ? `the id prefix ${given} is ambiguous` : `no recent run with id ${given}`, EXIT.usage, "See the run history with: spire runs");
}
