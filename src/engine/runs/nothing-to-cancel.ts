/** The refusal of `spire cancel` for a run that no engine or process is running: what it is, and what starts it again. */
import type { PipelineDef } from "../../definitions/schema.js";
import type { RunRow, RunState } from "../../store/port.js";
import { ServiceError } from "../service.js";

export function nothingToCancel(run: RunRow, state: RunState): ServiceError {
  if (state === "queued" || state === "running") return new ServiceError("conflict", `run ${run.id} is recorded as ${state}, but no engine or spire run process has it: there is nothing to cancel`);
  const again = runAgain(run, state);
  return new ServiceError("conflict", `run ${run.id} has already finished (${state}): there is nothing to cancel`, again === undefined ? null : { hint: again });
}

/** What runs it again: a retry of what did not pass, or (all passed, or secret arguments a retry cannot give again) a new run. */
function runAgain(run: RunRow, state: RunState): string | undefined {
  const definition = run.definition as PipelineDef | undefined;
  const secret = Object.values(definition?.args ?? {}).some((arg) => "secret" in arg && arg.secret === true);
  const pipeline = `${run.namespace}/${run.pipeline}`;
  if (state === "succeeded" || secret) return `to run it again, start a new run: spire run ${pipeline}`;
  return `to run again what did not pass: spire retry ${run.id}`;
}
