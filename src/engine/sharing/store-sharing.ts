/**
 * What an engine does for, and asks of, the engines it shares a store with
 * (PostgreSQL; Store.shared): its attempts' logs and artifacts copied there
 * as its runs record their changes (attempt-sharing.ts), the logs of the
 * attempts it did not run read from there (src/logs/shared-logs.ts), and
 * cancels passed between engines (run-requests.ts). One engine alone
 * (SQLite) has none of this.
 */
import { SharedLogs } from "../../logs/shared-logs.js";
import type { RunRow, Store } from "../../store/port.js";
import type { SharedStore } from "../../store/shared-port.js";
import type { RunRequestHints } from "../../cluster/port.js";
import { AttemptSharing } from "./attempt-sharing.js";
import { RunRequests } from "./run-requests.js";

export interface StoreSharingDeps {
  store: Store;
  shared: SharedStore;
  dataDir: string;
  /** Told when another engine asked this one to cancel a run it runs. */
  hints?: RunRequestHints | undefined;
  /** Cancels a run this engine holds; false when it does not hold it. */
  cancel(run: RunRow, reason: string): Promise<boolean>;
  now(): number;
  warn(message: string, details: object): void;
}

export class StoreSharing {
  readonly logs: SharedLogs;
  /** What this engine's runs write through: the store, after the copies the other engines need. */
  readonly store: Store;
  readonly requests: RunRequests;
  private readonly attempts: AttemptSharing;

  constructor(deps: StoreSharingDeps) {
    const { store, shared, dataDir, warn } = deps;
    this.attempts = new AttemptSharing({ store, shared, dataDir, warn });
    this.store = this.attempts.recordingStore();
    this.logs = new SharedLogs(shared, dataDir);
    this.requests = new RunRequests({ shared, hints: deps.hints, getRun: async (id) => (await store.getRun(id))?.run, cancel: deps.cancel, now: deps.now, warn });
  }

  /** Takes the requests of other engines from now on (once this engine's runs are taken up). */
  start(): void {
    this.requests.start();
  }

  async stop(): Promise<void> {
    await this.requests.stop();
    this.attempts.close();
  }
}
