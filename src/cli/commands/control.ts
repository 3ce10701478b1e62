/** `spire cancel RUN`, `spire retry RUN [--from TASK]`, `spire pause|resume|rm PIPELINE`. */
import pc from "picocolors";
import { CliError, EXIT } from "../errors.js";
import { connect, withClient, type Target } from "../connect.js";
import { ICONS, paint } from "../render/format.js";
import { followRun } from "../follow.js";
import { resolvePipeline } from "../resolve.js";
import { runOf } from "./show.js";
import { followerHint, followersOf, followerWords } from "../../definitions/followed.js";

export async function cancelCommand(run: string, pipeline: string | undefined, options: Target & { json?: boolean; ns?: string }): Promise<void> {
  const result = await withClient(options, async (client) => client.cancelRun(await runOf(client, run, pipeline, options.ns, "cancel")));
  if (options.json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  const waiting = result.request?.taken === false;
  // Passed on to the engine that runs it (engines sharing a store): said when that engine has not taken it yet.
  const where = waiting ? `; the engine that runs it (${result.request!.engine.slice(0, 8)}) has not answered yet: it cancels the run when it does` : "";
  process.stdout.write(`${paint(result.state, ICONS[result.state])} run ${result.id}: cancel requested (${result.state})${where}\n`);
}

/** On the engine, or (none running) in this process, followed to its end like spire run. */
export async function retryCommand(run: string, pipeline: string | undefined, options: Target & { from?: string; detach?: boolean; json?: boolean }): Promise<number> {
  const client = await connect(options);
  try {
    if (options.detach) requireEngine(client.location, "--detach");
    const result = await client.retryRun(await runOf(client, run, pipeline, undefined, "retry"), options.from !== undefined ? { from: options.from } : {});
    if (options.detach) return void process.stdout.write(`${result.id}\n`), EXIT.ok;
    return await followRun(client, result, { json: options.json === true });
  } finally {
    await client.close();
  }
}

export async function pipelineCommand(action: "pause" | "resume" | "rm", pipeline: string, options: Target & { ns?: string; reason?: string }): Promise<void> {
  const { namespace, name, followers } = await withClient(options, async (client) => {
    const found = await resolvePipeline(client, pipeline, options.ns);
    if (action !== "rm") {
      await client.setPaused(found.namespace, found.name, action === "pause", options.reason !== undefined ? { reason: options.reason } : {});
      return { ...found, followers: [] };
    }
    await client.deletePipeline(found.namespace, found.name);
    // Pipelines whose after trigger follows it start nothing from now on: said, as apply --prune says it (it is removed
    // whether or not they can be looked at).
    const pipelines = await client.listPipelines().catch(() => []);
    return { ...found, followers: followersOf(pipelines, `${found.namespace}/${found.name}`) };
  });
  const done = { pause: "paused", resume: "resumed", rm: "removed" }[action];
  process.stdout.write(`${pc.green("✓")} ${namespace}/${name} ${done}\n`);
  for (const follower of followers) {
    process.stderr.write(`${pc.yellow("warning:")} ${followerWords(follower)}\n  (${followerHint(follower)})\n`);
  }
}

/** What only a running engine can do: a run that goes on after this command returns, a schedule. */
export function requireEngine(location: { kind: string }, what: string): void {
  if (location.kind === "engine") return;
  throw new CliError(`${what} needs a running engine, and none is running`, EXIT.unreachable, "Start it with: spire engine   (or point --engine / SPIRE_ENGINE at one)");
}
