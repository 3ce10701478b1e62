/**
 * One "Load more" over a newest-first, cursor-paged list (runs, audit
 * entries) of which the browser filters some: pages are read until a
 * page's worth matches, the list ends, the entries pass the oldest day
 * asked for, or SCAN_STEP entries were read.
 */
import { signal } from "@preact/signals";

/** Entries read per "Load more" at most, when the browser filters. */
export const SCAN_STEP = 5_000;
/** Entries per request when the browser filters (the API's largest page). */
const SCAN_PAGE = 1_000;

export interface Page<T, C> {
  items: T[];
  next: C | null;
}

export interface ScanOptions<T, C> {
  fetch: (limit: number, cursor: C | null) => Promise<Page<T, C>>;
  /** What the browser still checks. */
  matches: (item: T) => boolean;
  /** The browser filters (read big pages, count what was read). */
  filtering: boolean;
  /** Matches wanted. */
  pageSize: number;
  /** An entry's time (epoch ms), and the oldest one asked for: past it nothing more can match. */
  time: (item: T) => number;
  after?: number;
  /** Each page's matches, as they come. */
  onMatches: (items: T[]) => void;
  /** False once the list was started again (the answer is then dropped). */
  current: () => boolean;
}

export async function scanStep<T, C>(options: ScanOptions<T, C>, from: C | null): Promise<{ read: number; next: C | null; done: boolean } | undefined> {
  let cursor = from;
  let found = 0;
  let read = 0;
  let done = false;
  while (!done && found < options.pageSize && read < SCAN_STEP) {
    const page = await options.fetch(options.filtering ? SCAN_PAGE : options.pageSize, cursor);
    if (!options.current()) return undefined;
    read += page.items.length;
    const fresh = page.items.filter(options.matches);
    found += fresh.length;
    if (fresh.length > 0) options.onMatches(fresh);
    cursor = page.next;
    const oldest = page.items.at(-1);
    const pastRange = options.after !== undefined && oldest !== undefined && options.time(oldest) < options.after;
    done = page.next === null || pastRange;
  }
  return { read, next: cursor, done };
}

export interface ScanStatus {
  loading: boolean;
  /** Every entry there is (for these filters) has been read. */
  done: boolean;
  /** Entries read from the engine so far (more than shown when the browser filters). */
  scanned: number;
  /** The browser filters some of what was asked (so `scanned` counts). */
  filtering: boolean;
  error: unknown;
}

/** The paging state of such a list: where it is, whether it is done, and one "Load more" at a time. */
export class ScannedPages<T, C> {
  readonly status = signal<ScanStatus>({ loading: false, done: false, scanned: 0, filtering: false, error: undefined });
  private cursor: C | null = null;
  private started = false;
  private generation = 0;
  private disposed = false;

  /** `options` is asked once `ready` is settled (what the engine filters is known by then). */
  constructor(
    private readonly ready: Promise<void>,
    private readonly options: () => Omit<ScanOptions<T, C>, "current">,
  ) {}

  dispose(): void {
    this.disposed = true;
  }

  setFiltering(filtering: boolean): void {
    this.status.value = { ...this.status.peek(), filtering };
  }

  async loadMore(): Promise<void> {
    const current = this.status.peek();
    if (current.loading || (this.started && current.done) || this.disposed) return;
    const generation = this.generation;
    this.status.value = { ...current, loading: true, error: undefined };
    try {
      await this.ready;
      const step = await scanStep({ ...this.options(), current: () => !this.disposed && generation === this.generation }, this.started ? this.cursor : null);
      if (!step) return;
      this.started = true;
      this.cursor = step.next;
      this.status.value = { ...this.status.peek(), loading: false, done: step.done, scanned: this.status.peek().scanned + step.read };
    } catch (error) {
      if (!this.disposed && generation === this.generation) this.status.value = { ...this.status.peek(), loading: false, error };
    }
  }

  /** From the newest again (the caller empties what it shows). */
  restart(): void {
    this.generation++;
    this.cursor = null;
    this.started = false;
    this.status.value = { ...this.status.peek(), loading: false, done: false, scanned: 0, error: undefined };
  }
}
