/**
 * A run that has been created in the store (or is about to be, see
 * `unstored`) and is ready to execute: its row, its definition and plan,
 * and what was read from the machine for it.
 */
import type { Plan } from "../../plan/types.js";
import type { PipelineDef } from "../../definitions/schema.js";
import type { ArgValue } from "../../definitions/args.js";
import type { PlaceTaken } from "../../store/shared-port.js";
import type { RunRow, TaskRunRow } from "../../store/port.js";
import type { UnstoredRun } from "./unstored-run.js";

export interface PreparedRun {
  run: RunRow;
  pipeline: PipelineDef;
  plan: Plan;
  args: Record<string, ArgValue>;
  /** Folder of the definitions file: the default cwd, and the base of relative paths. */
  baseDir: string;
  /** Variables of each env file, by the path as written (their values are secrets). */
  envFiles: Map<string, Record<string, string>>;
  /** Variables named in `secrets:`, taken from the engine's environment. */
  secretEnv: Record<string, string>;
  /** Every value to mask as *** in logs. */
  secretValues: string[];
  /** Capacities of the named locks its namespace declares (`locks:`); undeclared locks have 1. */
  lockCapacities?: Record<string, number>;
  /**
   * With engines sharing the store: its place in its pipeline's queue, taken
   * as it was stored (storeNewRun's placeUnder): running, or busy (its queue
   * had no room, it is decided over the queue). Read once, by admission.
   */
  placed?: PlaceTaken;
  /** Not stored yet: stored by its first write, its start with it, if it takes its place at once (storeNewRun). */
  unstored?: UnstoredRun;
  /** A retry's tasks that passed in the run it retries: their last attempt's rows, by path. */
  kept?: Map<string, TaskRunRow>;
}
