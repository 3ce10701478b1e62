/**
 * The engine's copy of a log written on a worker. The worker sends byte
 * ranges of its file; a range is appended only where the copy ends, so a
 * range sent twice (a retry after a lost answer, a reconnect) is dropped, and
 * one that would leave a gap is refused: the answer says where the copy ends
 * and the worker sends on from there. Ranges hold whole lines, so readers of
 * the copy never see half a line.
 */
import { open, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { makePrivateDir, PRIVATE_FILE_MODE } from "../files/private.js";
import { parseLogLine } from "../logs/log-file.js";
import type { LogLine } from "../exec/port.js";

export class LogCopy {
  private bytes: number | undefined;
  /** Appends run one after another: a second batch waits for the first. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  /** Appends what is new in [offset, offset + length); returns the lines it added when `lines` (someone follows them), else none. */
  append(offset: number, text: string, lines = true): Promise<LogLine[]> {
    const work = this.chain.then(() => this.appendNow(offset, text, lines));
    this.chain = work.catch(() => undefined);
    return work;
  }

  /** Bytes in the copy, once the appends under way are done. */
  async size(): Promise<number> {
    await this.chain;
    return this.known();
  }

  private async known(): Promise<number> {
    if (this.bytes === undefined) this.bytes = await stat(this.file).then((s) => s.size, () => 0);
    return this.bytes;
  }

  private async appendNow(offset: number, text: string, wanted: boolean): Promise<LogLine[]> {
    const have = await this.known();
    const data = Buffer.from(text, "utf8");
    if (offset > have || offset + data.length <= have) return [];
    const fresh = data.subarray(have - offset);
    await makePrivateDir(dirname(this.file));
    const handle = await open(this.file, "a", PRIVATE_FILE_MODE);
    try {
      await handle.write(fresh);
    } finally {
      await handle.close();
    }
    this.bytes = have + fresh.length;
    const lines: LogLine[] = [];
    if (!wanted) return lines;
    for (const raw of fresh.toString("utf8").split("\n")) {
      const line = raw === "" ? undefined : parseLogLine(raw);
      if (line) lines.push(line);
    }
    return lines;
  }
}
