/**
 * The machines that run tasks (GET /workers, docs/reference/api.md,
 * System), and the name of the engine's own machine among them: read once
 * per page load and kept, since it is the engine's host name and does not
 * change while the engine runs.
 */
import { signal } from "@preact/signals";
import { get } from "./client";
import type { WorkerInfo } from "./types";

export async function listWorkers(): Promise<WorkerInfo[]> {
  const workers = (await get<{ workers: WorkerInfo[] }>("/workers")).workers;
  const local = workers.find((worker) => worker.local);
  if (local) localMachine.value = local.name;
  return workers;
}

/**
 * The engine's own machine's name: undefined until known; null when the
 * engine does not say (one from before workers, or a refusal). Ask with
 * `learnLocalMachine()`; the Workers section's own reads set it too.
 */
export const localMachine = signal<string | null | undefined>(undefined);

let asked: Promise<void> | undefined;

export function learnLocalMachine(): void {
  if (localMachine.peek() !== undefined) return;
  asked ??= listWorkers().then(
    () => {
      if (localMachine.peek() === undefined) localMachine.value = null;
    },
    () => {
      // Unknown: where tasks ran is then shown only when a run used several machines.
      localMachine.value = null;
    },
  );
}
