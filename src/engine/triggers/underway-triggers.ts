/**
 * Ends of runs heard from the store. A fixed delay (`every … after_finish`)
 * and a watch trigger's mute (watch-own-runs.ts) wait for the end of a run
 * their trigger started, and an engine hears the ends of the runs it ends.
 * With engines sharing a store a run may end on another one: handed to the
 * engine with its workers, placed by the queues on an engine with room, or
 * taken over. Before, the trigger waited until its engine next read the
 * definitions (a fixed delay, within a minute) or until the lead moved (a
 * watch trigger, muted all that time).
 *
 * So, while any trigger waits, the triggers with a run queued or running are
 * read from the store every POLL_MS, one query for all of them: a trigger
 * missing from a read that began after it started waiting has no run under
 * way any more. Nothing is read while nothing waits, nor without a shared
 * store (every run ends on the engine that started it).
 */
import type { Store } from "../../store/port.js";

/** How soon an end on another engine is heard: a query a second, only while some trigger waits. */
const POLL_MS = 1_000;

/** The triggers with a run queued or running, by `namespace/pipeline/trigger_key`, and when the read began. */
export interface Underway {
  keys: Set<string>;
  readAt: number;
}

interface Wait {
  since: number;
  ended(readAt: number): void;
}

export interface UnderwayTriggersDeps {
  store: Pick<Store, "listTriggersUnderway">;
  /** Engines share the store: runs can end elsewhere. */
  shared: boolean;
  now(): number;
  warn(message: string, details: object): void;
}

export function underwayKey(namespace: string, pipeline: string, triggerKey: string): string {
  return `${namespace}/${pipeline}/${triggerKey}`;
}

export class UnderwayTriggers {
  private readonly waits = new Map<string, Wait>();
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  /** A failed read was told: the next ones, until one succeeds, are not (a database away for a minute is one warning). */
  private told = false;

  constructor(private readonly deps: UnderwayTriggersDeps) {}

  /** Every engine's triggers under way now. */
  async read(): Promise<Underway> {
    const readAt = this.deps.now();
    const triggers = await this.deps.store.listTriggersUnderway();
    return { keys: new Set(triggers.map((trigger) => underwayKey(trigger.namespace, trigger.pipeline, trigger.trigger_key))), readAt };
  }

  /**
   * Calls `ended` once a read begun after `since` finds no run of the
   * trigger under way. It may come after this engine heard the end itself:
   * `ended` is given the read's start, to tell that end from a later run's.
   * A later wait for the same trigger replaces this one.
   */
  wait(key: string, since: number, ended: (readAt: number) => void): void {
    if (!this.deps.shared) return;
    this.waits.set(key, { since, ended });
    this.timer ??= setInterval(() => void this.look(), POLL_MS).unref();
  }

  /** Waits no more (the engine stops, or no longer leads). */
  clear(): void {
    this.waits.clear();
    this.idle();
  }

  private async look(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const underway = await this.read();
      this.told = false;
      for (const [key, wait] of this.waits) {
        // A read begun in the same millisecond as the wait may have been sent before the run was stored.
        if (underway.keys.has(key) || underway.readAt <= wait.since) continue;
        this.waits.delete(key);
        wait.ended(underway.readAt);
      }
    } catch (error) {
      if (!this.told) this.deps.warn("the runs under way could not be read: read again each second", { reason: (error as Error).message });
      this.told = true;
    } finally {
      this.reading = false;
      this.idle();
    }
  }

  private idle(): void {
    if (this.waits.size > 0 || this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
