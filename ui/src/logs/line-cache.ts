/**
 * A task log as "N lines, and whichever of them are on screen": pages of
 * lines fetched by line number as the view needs them, kept in a small LRU,
 * so the first screen and the last are one request each however long the
 * log is, and memory stays bounded while someone scrolls a million lines.
 */
import { batch, signal } from "@preact/signals";
import { readWindow, type LineWindow, type LogLine, type LogTarget } from "./log-api";
import { firstWindow, PAGE, takeEarly } from "./log-early";

/** Pages kept (200 × 500 = 100,000 lines at most). */
const MAX_PAGES = 200;
/** Requests at once while scrolling. */
const CONCURRENCY = 3;

interface Page {
  lines: LogLine[];
  filled: number;
}

export type OpenAt = { kind: "start" } | { kind: "end" } | { kind: "line"; index: number };

export class LineCache {
  /** Lines in the view; undefined until the first answer. */
  readonly total = signal<number | undefined>(undefined);
  /** Bumped whenever lines arrive, so the view re-renders. */
  readonly version = signal(0);
  readonly error = signal<unknown>(undefined);
  readonly pageSize = PAGE;

  private readonly pages = new Map<number, Page>();
  private readonly loading = new Set<number>();
  private wanted: number[] = [];
  private readonly controller = new AbortController();
  private refreshing: Promise<void> | undefined;

  constructor(readonly target: LogTarget) {}

  /** The first answer: the page holding the line asked for, or the end. */
  async open(at: OpenAt): Promise<void> {
    try {
      if (at.kind === "end") this.merge(await readWindow(this.target, { tail: this.pageSize }, this.pageSize, this.signal));
      else {
        const { from, limit } = firstWindow(at);
        const window = await (takeEarly(this.target, from, limit) ?? readWindow(this.target, { from }, limit, this.signal));
        this.merge(window);
        // A line past the end: show the end instead.
        if (window.lines.length === 0 && window.total > 0) this.merge(await readWindow(this.target, { tail: this.pageSize }, this.pageSize, this.signal));
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** The line at `index`, when it is at hand. */
  line(index: number): LogLine | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.lines[index % this.pageSize];
  }

  /** The view shows lines [from, to): fetch what is missing of them, newest wish first. */
  want(from: number, to: number): void {
    const total = this.total.peek() ?? 0;
    const last = Math.min(to, total) - 1;
    if (last < from) return;
    const pages: number[] = [];
    for (let k = Math.floor(from / this.pageSize); k <= Math.floor(last / this.pageSize); k++) {
      const page = this.pages.get(k);
      if (page) {
        // Recently used: to the back of the LRU.
        this.pages.delete(k);
        this.pages.set(k, page);
      }
      if (!this.isComplete(k, page, total)) pages.push(k);
    }
    this.wanted = pages;
    this.pump();
  }

  /** New lines were written (a live task): learn the new total, and read the last page. */
  refresh(): Promise<void> {
    this.refreshing ??= this.readEnd().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Forget every page (the log was replaced, as when a new attempt starts). */
  dispose(): void {
    this.controller.abort();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private async readEnd(): Promise<void> {
    try {
      this.merge(await readWindow(this.target, { tail: this.pageSize }, this.pageSize, this.signal));
    } catch (error) {
      this.fail(error);
    }
  }

  private isComplete(k: number, page: Page | undefined, total: number): boolean {
    if (!page) return false;
    return page.filled >= Math.min(this.pageSize, total - k * this.pageSize);
  }

  private pump(): void {
    while (this.loading.size < CONCURRENCY) {
      const k = this.wanted.find((page) => !this.loading.has(page));
      if (k === undefined) return;
      this.wanted = this.wanted.filter((page) => page !== k);
      this.loading.add(k);
      void this.fetchPage(k).finally(() => {
        this.loading.delete(k);
        if (!this.signal.aborted) this.pump();
      });
    }
  }

  private async fetchPage(k: number): Promise<void> {
    try {
      this.merge(await readWindow(this.target, { from: k * this.pageSize }, this.pageSize, this.signal));
    } catch (error) {
      this.fail(error);
    }
  }

  /** Lines of an answer into their pages, the total with them. */
  private merge(window: LineWindow): void {
    if (this.signal.aborted) return;
    const size = this.pageSize;
    for (let i = 0; i < window.lines.length; i++) {
      const index = window.first + i;
      const k = Math.floor(index / size);
      let page = this.pages.get(k);
      if (!page) {
        page = { lines: [], filled: 0 };
        this.pages.set(k, page);
      }
      if (page.lines[index % size] === undefined) page.filled++;
      page.lines[index % size] = window.lines[i]!;
    }
    this.evict();
    batch(() => {
      // A log only grows: an answer read a moment earlier does not take lines away.
      this.total.value = Math.max(this.total.peek() ?? 0, window.total);
      this.error.value = undefined;
      this.version.value++;
    });
  }

  private evict(): void {
    for (const k of this.pages.keys()) {
      if (this.pages.size <= MAX_PAGES) break;
      this.pages.delete(k);
    }
  }

  private fail(error: unknown): void {
    if (this.signal.aborted) return;
    this.error.value = error;
  }
}
