/**
 * Where a run's tasks run: on the engine's own machine (tasks without
 * `runs_on`, or whose labels it has) or on workers, and what each asks of
 * it. Tasks for workers take the slots of remote attempts (no engine
 * parallelism, the same lock table);
 * on a worker the engine cannot look into a task's folder, so the worker is
 * told what artifacts the task reads.
 */
import type { Machine } from "../../exec/port.js";
import type { PlannedNode } from "../../plan/types.js";
import type { PreparedRun } from "./prepared-run.js";
import { taskRequest, type TaskRequest } from "../resources/reservations.js";
import type { TaskRunRow } from "../../store/port.js";
import type { Slots } from "../resources/slots.js";
import { localLabels, localMachine } from "./machine.js";
import { inputFolders, inputLayout } from "../artifacts/artifact-handover.js";
import type { ArtifactLayout } from "../../files/artifact-layout.js";
import { hasLabels } from "../../plan/runs-on.js";

export interface TaskMachinesDeps {
  dataDir: string;
  nodePath: string;
  slots: Slots;
  remoteSlots?: Slots;
  machine?: Machine;
  localLabels?: readonly string[];
}

export class TaskMachines {
  /** This machine, as its tasks see it. */
  readonly local: Machine;
  private readonly remote: ReadonlySet<string>;
  /** What each task asks of the engine while it runs (resources, task locks). */
  private readonly requests = new Map<string, TaskRequest>();

  constructor(
    private readonly deps: TaskMachinesDeps,
    private readonly prepared: Pick<PreparedRun, "plan" | "run" | "lockCapacities">,
  ) {
    this.local = deps.machine ?? localMachine(deps.dataDir, deps.nodePath);
    const labels = deps.localLabels ?? localLabels();
    this.remote = new Set(prepared.plan.nodes.filter((node) => node.type === "task" && node.runsOn !== undefined && !hasLabels(labels, node.runsOn)).map((node) => node.path));
  }

  /** Whether some task of the run goes to a worker. */
  get anyRemote(): boolean {
    return this.remote.size > 0;
  }

  /** Whether `path`'s `runs_on` names a label this machine lacks. */
  isRemote(path: string): boolean {
    return this.remote.has(path);
  }

  /** The slots an attempt of `path` takes: this machine's, or those of attempts on workers. */
  slotsOf(path: string): Slots {
    return this.remote.has(path) ? (this.deps.remoteSlots ?? this.deps.slots) : this.deps.slots;
  }

  /** What an attempt of `path` takes with its slot, named in the lock table as its run's task. */
  requestOf(path: string): TaskRequest {
    let request = this.requests.get(path);
    if (!request) this.requests.set(path, (request = taskRequest(this.prepared.plan.byPath.get(path)!.def, this.prepared.lockCapacities, { run_id: this.prepared.run.id, task: path })));
    return request;
  }

  /** An attempt recorded as run on a worker (after a restart: its artifacts came from there). */
  ranElsewhere(row: TaskRunRow): boolean {
    return row.worker != null && row.worker !== this.local.name;
  }

  /** What a worker needs to set out a task's inputs as the engine's machine would: the folders to fetch and the links beside its own. */
  artifactInputs(node: PlannedNode): { inputs: string[]; layout: ArtifactLayout } {
    return { inputs: inputFolders(this.prepared.plan, node), layout: inputLayout(this.prepared.plan, node) };
  }
}
