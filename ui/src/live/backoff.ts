/** Waits between reconnection attempts: 1 s, 2 s, 4 s… up to 30 s, with a little jitter so tabs do not retry in step. */
export function backoffDelay(attempt: number): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.85 + Math.random() * 0.3));
}
