/** `GET /metrics`: the engine's figures in the Prometheus text exposition format. */
import type { RunState, Store } from "../../store/port.js";

export interface EngineFigures {
  runsRunning: number;
  runsWaiting: number;
  slotsInUse: number;
  slotsCapacity: number;
  uptimeMs: number;
  runsByState: Partial<Record<RunState, number>>;
}

export function renderMetrics(figures: EngineFigures): string {
  const memory = process.memoryUsage();
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: number, labels = "") => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name}${labels} ${value}`);
  };
  gauge("spire_runs_running", "Runs executing now.", figures.runsRunning);
  gauge("spire_runs_waiting", "Runs waiting in pipeline queues.", figures.runsWaiting);
  gauge("spire_tasks_running", "Task attempts holding a parallelism slot.", figures.slotsInUse);
  gauge("spire_parallelism", "The engine's parallelism limit.", figures.slotsCapacity);
  gauge("spire_uptime_seconds", "Seconds since the engine started.", figures.uptimeMs / 1000);
  gauge("spire_process_resident_memory_bytes", "Resident memory of the engine process.", memory.rss);
  lines.push("# HELP spire_runs_total Runs recorded, by state.", "# TYPE spire_runs_total gauge");
  for (const [state, count] of Object.entries(figures.runsByState)) lines.push(`spire_runs_total{state="${state}"} ${count}`);
  return lines.join("\n") + "\n";
}

const RUN_STATES: RunState[] = ["queued", "running", "succeeded", "failed", "canceled", "skipped", "interrupted"];

/** How many runs the store holds in each state. */
export async function countRunsByState(store: Store): Promise<Partial<Record<RunState, number>>> {
  const counts = await Promise.all(RUN_STATES.map((state) => store.countRuns({ states: [state] })));
  return Object.fromEntries(RUN_STATES.map((state, index) => [state, counts[index]!]));
}
