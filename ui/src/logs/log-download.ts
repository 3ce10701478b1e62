/**
 * Download: the whole log of the view (both streams, or one) as a text
 * file, read in pages of 10,000 lines and put together in the browser (the
 * API has no whole-log route). Lines are as the task printed them, colour
 * codes included (`less -R` shows them), each after its time to the
 * millisecond when timestamps are shown, like `spire logs -t`.
 */
import { signal } from "@preact/signals";
import type { LogTarget } from "./log-api";
import { scanLines } from "./log-scan";

export interface DownloadProgress {
  lines: number;
  /** The view's line count when the download began, when known. */
  of: number | undefined;
}

export class LogDownload {
  readonly progress = signal<DownloadProgress | null>(null);
  readonly error = signal<unknown>(undefined);
  private controller: AbortController | undefined;

  constructor(
    private readonly target: LogTarget,
    private readonly byLineNumber: () => boolean,
  ) {}

  async start(options: { total: number | undefined; timestamp: ((ts: number) => string) | undefined; fileName: string }): Promise<void> {
    if (this.controller) return;
    const controller = new AbortController();
    this.controller = controller;
    this.error.value = undefined;
    this.progress.value = { lines: 0, of: options.total };
    const parts: string[] = [];
    let lines = 0;
    try {
      for await (const chunk of scanLines(this.target, 0, this.byLineNumber(), controller.signal)) {
        let text = "";
        for (const line of chunk.lines) text += options.timestamp ? `${options.timestamp(line.ts)} ${line.line}\n` : `${line.line}\n`;
        parts.push(text);
        lines += chunk.lines.length;
        this.progress.value = { lines, of: options.total };
      }
      save(new Blob(parts, { type: "text/plain;charset=utf-8" }), options.fileName);
    } catch (error) {
      if (!controller.signal.aborted) this.error.value = error;
    } finally {
      this.controller = undefined;
      this.progress.value = null;
    }
  }

  cancel(): void {
    this.controller?.abort();
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
