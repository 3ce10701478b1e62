/**
 * prunner's pipeline list over Spire's pipelines. prunner has one flat list
 * of names; Spire's pipelines live in namespaces. A pipeline is shown by its
 * bare name when no other namespace has one of that name (always so for a
 * prunner folder: a name declared twice is an error), else as NS/NAME; the
 * schedule route takes either.
 */
import type { EngineService, PipelineSummary } from "../../engine/service.js";
import type { RunState } from "../../store/port.js";

export interface PrunnerPipeline {
  pipeline: string;
  schedulable: boolean;
  running: boolean;
}

export interface PipelineRef {
  namespace: string;
  name: string;
}

/** prunner name → the pipeline, for every pipeline of the engine. */
export class PipelineNames {
  private readonly byName = new Map<string, PipelineRef>();
  private readonly names = new Map<string, string>();

  constructor(summaries: readonly Pick<PipelineSummary, "namespace" | "name">[]) {
    const counts = new Map<string, number>();
    for (const { name } of summaries) counts.set(name, (counts.get(name) ?? 0) + 1);
    for (const { namespace, name } of summaries) {
      const shown = counts.get(name) === 1 ? name : `${namespace}/${name}`;
      this.byName.set(shown, { namespace, name });
      this.byName.set(`${namespace}/${name}`, { namespace, name });
      this.names.set(`${namespace}/${name}`, shown);
    }
  }

  find(prunnerName: string): PipelineRef | undefined {
    return this.byName.get(prunnerName);
  }

  /** The name shown for a pipeline (NS/NAME for one no longer there). */
  nameOf(namespace: string, name: string): string {
    return this.names.get(`${namespace}/${name}`) ?? `${namespace}/${name}`;
  }

  /** Shown names, sorted by name as prunner sorts its list (pipelines of one name side by side, by namespace). */
  shown(): { shown: string; ref: PipelineRef }[] {
    const order = (a: PipelineRef, b: PipelineRef) => compare(a.name, b.name) || compare(a.namespace, b.namespace);
    return [...this.names.entries()].map(([key, shown]) => ({ shown, ref: this.byName.get(key)! })).sort((a, b) => order(a.ref, b.ref));
  }
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export async function pipelineNames(service: EngineService): Promise<PipelineNames> {
  return new PipelineNames(await service.listPipelines());
}

const WAITING: RunState[] = ["queued", "running"];

/**
 * Each pipeline with whether a run of it is going and whether a new one
 * would be taken (started, queued, or put in a place by its queue strategy)
 * rather than refused: prunner's `running` and `schedulable`.
 */
export async function prunnerPipelines(service: EngineService, names: PipelineNames): Promise<PrunnerPipeline[]> {
  const { runs } = await service.listRuns({ states: WAITING, limit: 1000 });
  const counts = new Map<string, { running: number; queued: number }>();
  for (const run of runs) {
    const key = `${run.namespace}/${run.pipeline}`;
    const count = counts.get(key) ?? { running: 0, queued: 0 };
    if (run.state === "running") count.running++;
    else count.queued++;
    counts.set(key, count);
  }
  const result: PrunnerPipeline[] = [];
  for (const { shown, ref } of names.shown()) {
    const count = counts.get(`${ref.namespace}/${ref.name}`) ?? { running: 0, queued: 0 };
    let schedulable = true;
    if (count.running > 0 || count.queued > 0) {
      const { definition } = await service.getPipeline(ref.namespace, ref.name, { next: 0 });
      const { limit, strategy } = definition.queue;
      schedulable = count.running < definition.concurrency || count.queued < limit || strategy === "preempt" || (strategy === "replace" && limit > 0);
    }
    result.push({ pipeline: shown, schedulable, running: count.running > 0 });
  }
  return result;
}
