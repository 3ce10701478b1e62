/** `spire workers`: the machines that run tasks (the engine's own and the workers connected to it), with labels, state and load. */
import pc from "picocolors";
import type { WorkerInfo } from "../../client/port.js";
import { withClient, type Target } from "../connect.js";
import { ago, bytes } from "../render/format.js";
import { table } from "../render/table.js";

export async function workersCommand(options: Target & { json?: boolean }): Promise<void> {
  const { workers, inProcess } = await withClient(options, async (client) => ({ workers: await client.listWorkers(), inProcess: client.location.kind === "in-process" }));
  if (options.json) return void process.stdout.write(`${JSON.stringify(workers, null, 2)}\n`);
  const now = Date.now();
  process.stdout.write(
    table(
      ["NAME", "STATE", "LABELS", "TASKS", "CPUS", "MEMORY", "VERSION", "LAST SEEN"],
      workers.map((worker) => [
        worker.name,
        stateText(worker.state),
        worker.labels.join(",") || pc.dim("—"),
        `${worker.in_use.tasks}/${worker.capacity.tasks}`,
        `${cpus(worker.in_use.cpus)}/${cpus(worker.capacity.cpus)}`,
        `${bytes(worker.in_use.memory_bytes)}/${bytes(worker.capacity.memory_bytes)}`,
        worker.version ?? pc.dim("—"),
        worker.last_seen ? ago(worker.last_seen, now) : pc.dim("never"),
      ]),
    ),
  );
  // Without an engine, the answer came from an engine in this process: no worker can have connected to it.
  if (inProcess) process.stdout.write(pc.yellow("no engine is running: this is only this machine; workers connect to an engine (spire engine)\n"));
}

function stateText(state: WorkerInfo["state"]): string {
  return state === "connected" ? pc.green(state) : state === "lost" ? pc.red(state) : pc.dim(state);
}

/** Whole cpus as such, fractions (tasks may reserve 0.5) to two places at most. */
function cpus(count: number): string {
  return String(Number(count.toFixed(2)));
}
