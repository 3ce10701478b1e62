/**
 * SPIRE_SEED (Gator's random seeding): one number per run, in every
 * attempt's environment, so that a task seeding its random generator from it
 * draws the same numbers when it is retried, and a failure replays. Chosen
 * at random when the run is made unless given (`spire run --seed N`, the
 * API's `seed`); a retry takes the run's. Fits a signed 32-bit column and
 * every common generator's seed (numpy's wants < 2^32).
 */
import { createHash, randomInt } from "node:crypto";

export const MAX_SEED = 2 ** 31 - 1;

export function newSeed(): number {
  return randomInt(0, MAX_SEED + 1);
}

/** The run's seed; a run made before seeds were kept gets one from its id, the same at every attempt and retry. */
export function seedOf(run: { id: string; seed: number | null }): number {
  if (run.seed !== null) return run.seed;
  return createHash("sha256").update(run.id).digest().readUInt32BE(0) & MAX_SEED;
}
