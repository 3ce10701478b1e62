/**
 * A `spire run` inside a task or a notify command (SPIRE_RUN_ID is set
 * there) tells the engine which run asks: runs that start runs count as a
 * chain, and a pipeline that starts itself this way stops after 32 in a row
 * instead of looping for ever (src/engine/runs/run-chain.ts).
 */
export function causedBy(env: NodeJS.ProcessEnv = process.env): { causedBy?: string } {
  const id = env.SPIRE_RUN_ID;
  return id !== undefined && /^[0-9a-z]{1,64}$/.test(id) ? { causedBy: id } : {};
}
