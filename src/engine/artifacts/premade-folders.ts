/**
 * The artifact folders of a run's next tasks, made ahead of them off the
 * event loop's thread. A task's own folder is made before it starts (it may
 * write to $SPIRE_ARTIFACTS from its first instruction); on the loop's
 * thread each mkdir held it 0.15 ms on a quiet machine and 0.7 ms on a busy
 * one (bench/dag: 1,000 tasks, 150 ms of the engine's thread), and one
 * thread-pool trip per folder still cost it ~50 µs a folder in wake-ups.
 * So they are made in batches, one trip for half a stretch of folders
 * (files/folder-batch.ts). Made ahead, in plan order, the folder is usually
 * there when the task is picked; when it is not (a task picked out of that
 * order, a retry), the attempt makes its own as before.
 *
 * The lane goes at most AHEAD tasks (in plan order) past the furthest one
 * picked so far: a run that stops early leaves few empty folders behind, a
 * run of 100,000 tasks does not make them all at its start, and tasks that
 * never take theirs (skipped, or picked before the lane got to them) do not
 * hold it up.
 */
import type { Plan } from "../../plan/types.js";
import { makeFolderTrees } from "../../files/folder-batch.js";
import { artifactFolder } from "./artifact-handover.js";

const AHEAD = 32;

export class PremadeFolders {
  /** Task paths whose folder is made and not yet taken by an attempt. */
  private readonly made = new Set<string>();
  /** Task paths whose first attempt made its own folder (a run's first tasks): the lane leaves them out. */
  private readonly madeByAttempts = new Set<string>();
  /** Each node's place in the plan (made at the first take). */
  private places: Map<string, number> | undefined;
  /** The furthest place in the plan of a task picked so far. */
  private furthest = -1;
  private next = 0;
  private making = false;
  /** A folder could not be made: the attempts make their own (and say why). */
  private stopped = false;

  constructor(
    private readonly dataDir: string,
    private readonly runId: string,
    private readonly plan: Plan,
  ) {}

  /** Whether the task's folder was made ahead for it (once: a later attempt makes its own again). Keeps the lane going. */
  take(path: string): boolean {
    this.places ??= new Map(this.plan.nodes.map((node, index) => [node.path, index]));
    this.furthest = Math.max(this.furthest, this.places.get(path) ?? -1);
    const taken = this.made.delete(path);
    this.fill();
    return taken;
  }

  /** The task's folder is made by its attempt (a run's first): the lane does not make it again. */
  madeByAttempt(path: string): void {
    this.madeByAttempts.add(path);
  }

  private fill(): void {
    // Nothing left, or half the stretch still ahead: enough for now, and the next batch is worth its trip.
    if (this.making || this.stopped || this.next >= this.plan.nodes.length || this.next > this.furthest + AHEAD / 2) return;
    this.making = true;
    void this.makeAhead().finally(() => (this.making = false));
  }

  private async makeAhead(): Promise<void> {
    const { nodes } = this.plan;
    while (!this.stopped && this.next < nodes.length && this.next <= this.furthest + AHEAD) {
      // The rest of the stretch: one batch, one trip through the thread pool (folder-batch.ts).
      const batch: { path: string; folder: string }[] = [];
      for (; this.next < nodes.length && this.next <= this.furthest + AHEAD; this.next++) {
        const node = nodes[this.next]!;
        if (node.type === "task" && !this.madeByAttempts.has(node.path)) batch.push({ path: node.path, folder: artifactFolder(this.dataDir, this.runId, node.path) });
      }
      try {
        // With the parents any of them lacks (the run's first folders, a task inside a group), in the same trip.
        await makeFolderTrees(this.dataDir, batch.map(({ folder }) => folder));
      } catch {
        // No room, or a folder cannot be made: the attempts make their own and say why.
        this.stopped = true;
        return;
      }
      for (const { path } of batch) this.made.add(path);
    }
  }
}
