/**
 * Copies the logs of the attempts this engine runs into the shared store,
 * for the other engines to serve (src/logs/shared-logs.ts). It follows the
 * log file, not whoever writes it: the supervisor, a worker's copy
 * (LogCopy) and the engine's own notes all land there the same way.
 *
 * While an attempt runs, what its file gained is sent every TICK_MS, in
 * rows of at most CHUNK_BYTES; at its end, the rest, before the end is
 * recorded (finish), so a finished attempt's copy is whole. Only whole
 * bytes the file has are sent, in order, each at the offset it has in the
 * file: a reader's byte cursor is the same in both.
 */
import { statSync } from "node:fs";
import { open } from "node:fs/promises";
import { attemptLogKey, type AttemptLog } from "../../logs/port.js";
import type { AttemptKey, SharedStore } from "../../store/shared-port.js";

const TICK_MS = 200;
/** Bytes per row at most: a chatty task's second of output is a few rows, never one huge one. */
export const CHUNK_BYTES = 256 * 1024;

interface Shipment {
  log: AttemptLog;
  /** Bytes of the file the copy holds; undefined until asked of the store (an attempt taken up after a restart). */
  sent: number | undefined;
  /** The copy under way: the next waits for it, so rows go in order. */
  busy: Promise<void>;
  /** A tick's copy is under way: the next tick lets it be (a slow database never piles ticks up). */
  sending: boolean;
  /** Its end is being recorded: no more ticks. */
  ending: boolean;
  /** A failure was said: the next ones are not, until a copy goes through. */
  warned: boolean;
}

export class LogShipper {
  private readonly shipments = new Map<string, Shipment>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly shared: SharedStore,
    private readonly warn: (message: string, details: object) => void,
  ) {}

  /** Starts following an attempt's log (once, however often asked). */
  follow(log: AttemptLog): void {
    const key = attemptLogKey(log);
    if (this.shipments.has(key)) return;
    this.shipments.set(key, { log, sent: undefined, busy: Promise.resolve(), sending: false, ending: false, warned: false });
    this.timer ??= setInterval(() => this.tick(), TICK_MS).unref();
  }

  /**
   * The attempt has ended: sends what the copy lacks, and stops following
   * it. Resolves once the copy is whole (or the copy failed: said, never
   * thrown — a log that could not be copied must not keep a result from
   * being recorded).
   */
  async finish(log: AttemptLog): Promise<void> {
    const key = attemptLogKey(log);
    const shipment = this.shipments.get(key) ?? { log, sent: undefined, busy: Promise.resolve(), sending: false, ending: false, warned: false };
    shipment.ending = true;
    this.shipments.delete(key);
    if (this.shipments.size === 0) this.stopTimer();
    shipment.busy = shipment.busy.then(() => this.send(shipment));
    await shipment.busy;
  }

  /** Stops following everything (the engine stops: what ends later is copied by finish, or by the next engine's look). */
  close(): void {
    this.shipments.clear();
    this.stopTimer();
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    for (const shipment of this.shipments.values()) {
      if (shipment.ending || shipment.sending) continue;
      shipment.sending = true;
      shipment.busy = shipment.busy.then(() => this.send(shipment)).finally(() => (shipment.sending = false));
    }
  }

  /** Sends what the file has beyond the copy; a failure is said and tried again at the next tick. */
  private async send(shipment: Shipment): Promise<void> {
    const key: AttemptKey = { run_id: shipment.log.run_id, path: shipment.log.path, attempt: shipment.log.attempt };
    try {
      // A stat, most ticks: a quiet task costs no open. On the loop's thread: a stat of a file of the data folder
      // takes microseconds, where a trip through the thread pool wakes two threads (~0.2 ms of wall time a task
      // on a 2-vCPU VM, in bench/postgres's profile of the engine).
      const size = statSync(shipment.log.log_file, { throwIfNoEntry: false })?.size ?? 0; // no file: nothing printed yet
      if (size === 0 || size <= (shipment.sent ??= await this.shared.logSize(key))) return;
      const handle = await open(shipment.log.log_file, "r");
      try {
        const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, size - shipment.sent));
        while (shipment.sent < size) {
          const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - shipment.sent), shipment.sent);
          if (bytesRead === 0) break;
          await this.shared.appendLog(key, shipment.sent, Buffer.from(buffer.subarray(0, bytesRead)));
          shipment.sent += bytesRead;
        }
        shipment.warned = false;
      } finally {
        await handle.close();
      }
    } catch (error) {
      // Asked again from the store next time: a row whose answer was lost may have been written.
      shipment.sent = undefined;
      if (shipment.warned) return;
      shipment.warned = true;
      this.warn("a task log could not be copied to the shared store (tried again)", { run: key.run_id, task: key.path, attempt: key.attempt, error: String(error) });
    }
  }
}
