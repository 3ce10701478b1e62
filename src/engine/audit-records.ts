/**
 * The engine's audit records: who canceled which run, who collected garbage,
 * who paused what. Each is written once what it records is done. A cancel is
 * done before anything of it is stored (on a full disk its run's stop waits
 * for room while the tasks are stopped: run-writes.ts), so a record the full
 * disk refuses must not turn it into a refusal: the record waits in memory,
 * in order with the ones after it, and is written once the store has room
 * (tried every RETRY_MS). The wait is said once in the log; records still
 * waiting when the engine stops are said there, since they are lost.
 */
import type { Actor } from "./service.js";
import type { AuditRow, Store } from "../store/port.js";
import { isDiskFull } from "../store/errors.js";
import type { EngineLogger } from "./engine.js";

const RETRY_MS = 2_000;

type AuditRecord = Omit<AuditRow, "seq">;

export class AuditRecords {
  private readonly waiting: AuditRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<Store, "appendAudit">,
    private readonly now: () => number,
    private readonly logger: EngineLogger,
  ) {}

  async record(actor: Actor, action: string, target: string, details: AuditRecord["details"] = {}): Promise<void> {
    const row: AuditRecord = { ts: this.now(), actor: actor.name, action, target, details };
    // Records already waiting for room go first: this one waits behind them.
    if (this.waiting.length > 0) return this.wait(row);
    await this.store.appendAudit(row).catch((error: unknown) => {
      if (!isDiskFull(error)) throw error;
      this.wait(row);
    });
  }

  /** No more retries; a last try, and what is still waiting is said in the log. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.flush();
    if (this.waiting.length > 0) this.logger.error({ records: this.waiting }, "audit records not written: the disk stayed full");
  }

  private wait(row: AuditRecord): void {
    if (this.waiting.length === 0) this.logger.warn({ action: row.action, target: row.target }, "the disk is full: audit records wait in memory and are written once there is room");
    this.waiting.push(row);
    this.timer ??= setInterval(() => void (this.flushing ??= this.flush().finally(() => (this.flushing = undefined))), RETRY_MS).unref();
  }

  private async flush(): Promise<void> {
    while (this.waiting.length > 0) {
      try {
        await this.store.appendAudit(this.waiting[0]!);
      } catch {
        return; // still no room (or the store fails otherwise): the next try
      }
      this.waiting.shift();
    }
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
