/**
 * A `spire run` inside a task or a notify command (SPIRE_RUN_ID is set
 * there) tells the engine which run asks: runs that start runs count as a
 * chain, and a pipeline that starts itself this way stops after 32 in a row
 * instead of looping for ever (src/engine/runs/run-chain.ts).
 */
import { RUN_ID_SHAPE } from "../engine/runs/ids.js";

export function causedBy(env: NodeJS.ProcessEnv = process.env): { causedBy?: string } {
  const id = env.SPIRE_RUN_ID;
  return id !== undefined && RUN_ID_SHAPE.test(id) ? { causedBy: id } : {};
}
