/**
 * Run ids are 16 characters whose first 10 encode the creation time, so
 * runs of one pipeline share their start: the last 6 (random) tell them
 * apart in a short label. The full id stays in titles and links.
 */
export function shortRunId(id: string): string {
  return id.length > 8 ? `…${id.slice(-6)}` : id;
}
