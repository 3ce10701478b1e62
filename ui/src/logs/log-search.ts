/**
 * Search over the whole log, not only what is on screen: the API has no
 * search, so the log is read in the background in pages of 10,000 lines
 * (a few at once, in a worker: scan-jobs.ts) and each line's visible text
 * (colours stripped) is matched, ignoring case. Matching lines are listed as they are found; the
 * list stops at MAX_MATCHES lines, and says so. A live log is searched on
 * as it grows.
 */
import { batch, signal } from "@preact/signals";
import type { LogTarget } from "./log-api";
import type { Scanner } from "./scanner";

/** Matching lines kept at most: beyond this the search says "more" and stops reading. */
export const MAX_MATCHES = 100_000;

export class LogSearch {
  readonly query = signal("");
  /** Bumped as matches are found. */
  readonly version = signal(0);
  /** Lines of the view read so far. */
  readonly scanned = signal(0);
  readonly searching = signal(false);
  /** More lines match than are listed. */
  readonly capped = signal(false);
  /** Which match is current (index into the list), -1 for none yet. */
  readonly current = signal(-1);
  readonly error = signal<unknown>(undefined);
  /** Matching line indexes, ascending. */
  matches: number[] = [];

  private cancel: (() => void) | undefined;
  private needle = "";
  private pendingExtend = false;

  constructor(
    private readonly target: LogTarget,
    private readonly scanner: Scanner,
  ) {}

  get count(): number {
    return this.matches.length;
  }

  /** Starts a new search (an empty one clears it). */
  set(query: string): void {
    this.cancel?.();
    this.cancel = undefined;
    this.matches = [];
    this.needle = query.toLowerCase();
    batch(() => {
      this.query.value = query;
      this.scanned.value = 0;
      this.capped.value = false;
      this.current.value = -1;
      this.error.value = undefined;
      this.searching.value = false;
      this.version.value++;
    });
    if (query !== "") this.scan(0);
  }

  /** The log grew (live): search the new lines too, once the running scan is done. */
  extend(): void {
    if (this.needle === "" || this.capped.peek()) return;
    if (this.searching.peek()) this.pendingExtend = true;
    else this.scan(this.scanned.peek());
  }

  /** Where each match is in a line's visible text: [start, end) pairs. */
  ranges(text: string): [number, number][] {
    if (this.needle === "") return [];
    const lower = text.toLowerCase();
    // Lowercasing changed the length (a few letters do): offsets would not line up, so mark nothing.
    if (lower.length !== text.length) return [];
    const found: [number, number][] = [];
    for (let at = lower.indexOf(this.needle); at !== -1; at = lower.indexOf(this.needle, at + this.needle.length)) found.push([at, at + this.needle.length]);
    return found;
  }

  /** Moves to the next (or previous) match after (before) line `from`; the line to show, or undefined. */
  step(direction: 1 | -1, from: number): number | undefined {
    const list = this.matches;
    if (list.length === 0) return undefined;
    const current = this.current.peek();
    let next: number;
    if (current >= 0 && list[current] === from) next = current + direction;
    else {
      // From where the reader is: the first match past that line (or before it).
      const at = lowerBound(list, direction === 1 ? from + 1 : from);
      next = direction === 1 ? at : at - 1;
    }
    // Wrap around, as find in a page does.
    if (next >= list.length) next = 0;
    if (next < 0) next = list.length - 1;
    this.current.value = next;
    return list[next];
  }

  dispose(): void {
    this.cancel?.();
  }

  private scan(from: number): void {
    this.searching.value = true;
    const cancel = this.scanner.start({ kind: "search", target: this.target, from, needle: this.needle, max: MAX_MATCHES - this.matches.length }, (event) => {
      if (this.cancel !== cancel) return;
      if (event.kind === "matches") {
        for (const line of event.lines) this.matches.push(line);
        batch(() => {
          this.scanned.value = event.scanned;
          this.capped.value = event.capped;
          this.version.value++;
        });
        return;
      }
      if (event.kind === "error") this.error.value = event.error;
      if (event.kind !== "done" && event.kind !== "error") return;
      this.cancel = undefined;
      this.searching.value = false;
      if (this.pendingExtend) {
        this.pendingExtend = false;
        this.extend();
      }
    });
    this.cancel = cancel;
  }
}

/** The first position in the ascending list whose value is >= value. */
function lowerBound(list: number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
