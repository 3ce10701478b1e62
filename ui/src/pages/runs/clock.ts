/**
 * The shared clock ticks every 15 s: a record the engine made a moment ago
 * would read "in 12 s" against it. Pages call this when new records come
 * in, so "just now" is just now.
 */
import { now } from "../../time/now";

export function freshNow(): void {
  now.value = Date.now();
}
