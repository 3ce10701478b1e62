/**
 * The artifact folders of a run's next tasks, made ahead of them in the
 * thread pool, one at a time. A task's own folder is made before it starts
 * (it may write to $SPIRE_ARTIFACTS from its first instruction); on the
 * loop's thread each mkdir held it 0.15 ms on a quiet machine and 0.7 ms on
 * a busy one (bench/dag: 1,000 tasks, 150 ms of the engine's thread, its
 * largest cost after the spawn), while a trip through the thread pool in
 * the attempt's own path cost more than the mkdir. Made ahead, in plan
 * order, the folder is usually there when the task is picked; when it is
 * not (a task picked out of that order, a retry), the attempt makes its
 * own as before.
 *
 * The lane goes at most AHEAD tasks (in plan order) past the furthest one
 * picked so far: a run that stops early leaves few empty folders behind, a
 * run of 100,000 tasks does not make them all at its start, and tasks that
 * never take theirs (skipped, or picked before the lane got to them) do not
 * hold it up.
 */
import type { Plan } from "../../plan/types.js";
import { mkdir } from "node:fs";
import { resolve } from "node:path";
import { makePrivateDir, PRIVATE_DIR_MODE, rememberMadeFolder } from "../../files/private.js";
import { artifactFolder } from "./artifact-handover.js";

const AHEAD = 32;

export class PremadeFolders {
  /** Task paths whose folder is made and not yet taken by an attempt. */
  private readonly made = new Set<string>();
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

  private fill(): void {
    if (this.making || this.stopped) return;
    this.making = true;
    void this.makeAhead().finally(() => (this.making = false));
  }

  private async makeAhead(): Promise<void> {
    const { nodes } = this.plan;
    while (!this.stopped && this.next < nodes.length && this.next <= this.furthest + AHEAD) {
      const node = nodes[this.next++]!;
      if (node.type !== "task") continue;
      const folder = artifactFolder(this.dataDir, this.runId, node.path);
      try {
        await makeFolder(folder);
      } catch {
        // No room, or the folder cannot be made: the attempt makes its own and says why.
        this.stopped = true;
        return;
      }
      this.made.add(node.path);
      // Its dependents' attempts find it made (placeLayout makes the folders of a task's needs only once).
      rememberMadeFolder(resolve(folder));
    }
  }
}

/** One mkdir where the run's artifacts folder exists (the common case: less work on the loop's thread than a recursive one), else makePrivateDir. */
function makeFolder(path: string): Promise<void> {
  return new Promise((resolve, reject) =>
    mkdir(path, { mode: PRIVATE_DIR_MODE }, (error) => {
      if (error === null || error.code === "EEXIST") resolve();
      else if (error.code === "ENOENT") makePrivateDir(path).then(resolve, reject);
      else reject(error);
    }),
  );
}
