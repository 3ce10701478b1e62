/**
 * The scheduler's claimed runs waiting to be admitted, runs with tasks
 * first. A run with tasks starts a process for its user, who sees when it
 * starts; a run with none only writes its rows. At one whole second, a
 * thousand task-less runs claimed beside a hundred with tasks used to go
 * first as often as not (claim order), and the processes started hundreds
 * of milliseconds late (bench/fire --preset realistic).
 *
 * Only the admission order changes: the slots are claimed (stored with their
 * runs) exactly as before, so no slot is missed or run twice for it. A
 * pipeline's own runs keep their order: one still waiting among the runs
 * without tasks (its definition had none when that run was made) keeps the
 * pipeline's later runs in that queue behind it.
 */
import type { EventRow } from "../../store/port.js";

export interface Claimed<Run> {
  run: Run;
  event: EventRow;
  /** Its pipeline, namespace included: the key its order is kept by. */
  pipeline: string;
  /** Whether the run has tasks to start. */
  withTasks: boolean;
}

export class AdmissionQueue<Run> {
  private readonly first: Claimed<Run>[] = [];
  private readonly rest: Claimed<Run>[] = [];
  /** Runs waiting in `rest`, by pipeline. */
  private readonly restByPipeline = new Map<string, number>();

  get size(): number {
    return this.first.length + this.rest.length;
  }

  push(claimed: Claimed<Run>): void {
    const { pipeline } = claimed;
    if (claimed.withTasks && !this.restByPipeline.has(pipeline)) return void this.first.push(claimed);
    this.rest.push(claimed);
    this.restByPipeline.set(pipeline, (this.restByPipeline.get(pipeline) ?? 0) + 1);
  }

  /** Up to `count` runs, those with tasks first. */
  take(count: number): Claimed<Run>[] {
    const taken = this.first.splice(0, count);
    for (const claimed of this.rest.splice(0, count - taken.length)) {
      taken.push(claimed);
      const { pipeline } = claimed;
      const left = this.restByPipeline.get(pipeline)! - 1;
      if (left === 0) this.restByPipeline.delete(pipeline);
      else this.restByPipeline.set(pipeline, left);
    }
    return taken;
  }

  takeAll(): Claimed<Run>[] {
    return this.take(this.size);
  }
}
