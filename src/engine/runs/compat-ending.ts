/**
 * Pipelines read from another tool's file keep that tool's conventions
 * where users rely on them: Gator ends a job whose command cannot start
 * with exit code 255 (Spire says 127 or 126, as a shell would). The reason
 * stays Spire's, which says why it could not start.
 */
import type { PipelineDef } from "../../definitions/schema.js";
import type { AttemptEnding } from "./task-row.js";

export const GATOR_START_FAILURE_EXIT = 255;

export function compatEnding(pipeline: PipelineDef, ending: AttemptEnding): AttemptEnding {
  // No pid: the process never existed; a program that ran and exited 127 keeps its code.
  const neverStarted = ending.state === "failed" && ending.pid === null && ending.exitCode !== null;
  if (neverStarted && pipeline.metadata?.["compat"] === "gator") return { ...ending, exitCode: GATOR_START_FAILURE_EXIT };
  return ending;
}
