/**
 * Jitter as a pure function of (trigger, slot): the same slot always gets
 * the same delay, on every engine and after every restart, so a slot keeps
 * its identity (its unjittered time) and a restarted engine waits for the
 * same instant it was waiting for before.
 */

/** FNV-1a, 32 bits: tiny, stable across platforms, well spread for short keys. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // One more avalanche round: consecutive slots differ only in the last digits.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  return hash >>> 0;
}

/** A delay in [0, maxMs) (whole ms) for this slot of this trigger. */
export function jitterOf(triggerKey: string, slot: number, maxMs: number): number {
  if (!(maxMs > 0)) return 0;
  return Math.floor((fnv1a(`${triggerKey}\u0000${slot}`) / 2 ** 32) * maxMs);
}
