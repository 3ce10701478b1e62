/**
 * The Clock port and the waiting rules the engine's scheduler follows.
 * Kept here, beside the maths, so the rules are tested as pure functions.
 */

export interface Clock {
  /** Epoch ms, the wall clock (it may jump: suspend, NTP, manual change). */
  now(): number;
}

/**
 * Never wait longer than this between wall-clock checks: timers do not run
 * while the machine sleeps and do not follow clock steps, so a long timer
 * would notice a resume or a step late (croner caps its timer for the same
 * reason).
 */
export const MAX_WAIT_MS = 30_000;

/** How long to wait before checking again for something due at `fireAt`. */
export function waitFor(now: number, fireAt: number, maxWait = MAX_WAIT_MS): number {
  return Math.min(Math.max(0, fireAt - now), maxWait);
}

/**
 * Whether a slot may start: timers can fire early (coarse platform timers,
 * clock steps back), so the scheduler re-reads the clock and waits again
 * instead of starting a slot before its time.
 */
export function isDue(now: number, fireAt: number): boolean {
  return now >= fireAt;
}
