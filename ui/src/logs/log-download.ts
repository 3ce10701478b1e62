/**
 * Download: the whole log of the view (both streams, or one) as a text
 * file, read in pages of 10,000 lines and put together in a worker (the API
 * has no whole-log route; scan-jobs.ts). Lines are as the task printed them,
 * colour codes included (`less -R` shows them), each after its time to the
 * millisecond when timestamps are shown, like `spire logs -t`.
 */
import { signal } from "@preact/signals";
import type { LogTarget } from "./log-api";
import type { Scanner } from "./scanner";

export interface DownloadProgress {
  lines: number;
  /** The view's line count when the download began, when known. */
  of: number | undefined;
}

export class LogDownload {
  readonly progress = signal<DownloadProgress | null>(null);
  readonly error = signal<unknown>(undefined);
  private cancelJob: (() => void) | undefined;

  constructor(
    private readonly target: LogTarget,
    private readonly scanner: Scanner,
  ) {}

  start(options: { total: number | undefined; timestamps: boolean; utc: boolean; fileName: string }): void {
    if (this.cancelJob) return;
    this.error.value = undefined;
    this.progress.value = { lines: 0, of: options.total };
    const job = { kind: "download" as const, target: this.target, timestamps: options.timestamps, utc: options.utc };
    this.cancelJob = this.scanner.start(job, (event) => {
      if (event.kind === "progress") this.progress.value = { lines: event.lines, of: options.total };
      else if (event.kind === "file") save(event.blob, options.fileName);
      else {
        if (event.kind === "error") this.error.value = event.error;
        this.cancelJob = undefined;
        this.progress.value = null;
      }
    });
  }

  cancel(): void {
    this.cancelJob?.();
    this.cancelJob = undefined;
    this.progress.value = null;
  }
}

function save(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has the file once the click is handled; the URL can go after that.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
