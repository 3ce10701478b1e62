/**
 * Definitions written in TypeScript: `spire.config.ts` exports
 * `defineConfig({ … })`, the same shape as spire.yaml (every key, every
 * default), so the reference of the definitions file applies as it is.
 * The helpers only make a graph easier to read and let the editor check the
 * task names that `needs`, `on_fail` and `on_done` refer to.
 */
import type { SpireFileInput } from "../definitions/schema.js";

/** The whole file: `namespace`, `metadata`, `locks`, `pipelines`. */
export type SpireConfig = SpireFileInput;
/** One pipeline, as under `pipelines.NAME`. */
export type PipelineConfig = SpireConfig["pipelines"][string];
/** One task, as under `pipelines.NAME.tasks.TASK`. */
export type TaskConfig = PipelineConfig["tasks"][string];
/** One trigger, as in `pipelines.NAME.triggers`. */
export type TriggerConfig = NonNullable<PipelineConfig["triggers"]>[number];

type GraphKey = "needs" | "on_pass" | "depends_on" | "on_fail" | "on_done";

/** A task whose `needs`, `on_fail` and `on_done` may name only the tasks in `Name`. */
export type TaskIn<Name extends string> = Omit<TaskConfig, GraphKey> & { [Key in GraphKey]?: NoInfer<Name>[] };

/** A pipeline whose tasks refer to each other by names the editor checks. */
export type PipelineOf<Name extends string> = Omit<PipelineConfig, "tasks"> & { tasks: { [Task in Name]: TaskIn<Name> } };

/** The definitions, typed: `export default defineConfig({ pipelines: { … } })`. */
export function defineConfig(config: SpireConfig): SpireConfig {
  return config;
}

/**
 * One pipeline whose task names are checked: a `needs: ["dum"]` for a task
 * `dump` is an editor error, not a run-time one.
 */
export function definePipeline<Name extends string>(pipeline: PipelineOf<Name>): PipelineConfig {
  return pipeline as PipelineConfig;
}

/** `{ ...after("dump", "lint"), run: "…" }`: the task starts once these have passed (`needs`). */
export function after<const Name extends string>(...tasks: Name[]): { needs: Name[] } {
  return { needs: tasks };
}
