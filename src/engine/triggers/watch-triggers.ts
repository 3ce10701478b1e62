/**
 * `watch` triggers: one debounced PathWatch per trigger of each unpaused
 * pipeline. Paths come only from applied definitions, relative to the
 * definitions file's folder. A refresh keeps the watchers whose paths and
 * debounce are unchanged, so applying one pipeline neither loses another's
 * burst in progress nor walks its folders again. A trigger takes no changes
 * while its own run is under way, nor just after (see watch-own-runs.ts).
 */
import { resolve } from "node:path";
import type { PipelineDef } from "../../definitions/schema.js";
import type { PipelineRow, Store } from "../../store/port.js";
import type { TriggeredStart } from "./event-triggers.js";
import type { PathWatch } from "./path-watch.js";
import { OwnRuns } from "./watch-own-runs.js";
import { underwayKey, UnderwayTriggers } from "./underway-triggers.js";
import { triggerKey } from "../../store/schedule-keys.js";

/** The quiet time that ends a burst when the trigger gives no `debounce`. */
export const DEFAULT_WATCH_DEBOUNCE_MS = 500;

/** Changed paths named in a run's trigger, at most (the count is always there). */
const MAX_PATHS_SHOWN = 100;

export interface WatchTriggerDeps {
  baseDirOf(namespace: string): Promise<string>;
  /** Resolves true when a run was made and admitted (started or queued), false when none will run. */
  fire(start: TriggeredStart): Promise<boolean>;
  info(message: string, details: object): void;
  warn(message: string, details: object): void;
  store: Pick<Store, "listTriggersUnderway">;
  /** Engines share the store: a trigger's run may end on another engine (see underway-triggers.ts). */
  shared: boolean;
}

interface Armed {
  signature: string;
  watch: PathWatch;
  debounceMs: number;
}

interface Wanted {
  namespace: string;
  name: string;
  index: number;
  targets: string[];
  debounceMs: number;
}

export class WatchTriggers {
  /** By `namespace/name/index`. */
  private readonly armed = new Map<string, Armed>();
  private readonly own = new OwnRuns();
  /** Ends of this trigger's runs on other engines, which tell only their own. */
  private readonly underway: UnderwayTriggers;

  constructor(private readonly deps: WatchTriggerDeps) {
    this.underway = new UnderwayTriggers({ store: deps.store, shared: deps.shared, now: Date.now, warn: deps.warn });
  }

  /** Arms the watch triggers of these pipelines (the unpaused ones) and disarms all others. */
  async update(rows: PipelineRow[]): Promise<void> {
    const wanted = await this.wantedOf(rows);
    // chokidar is loaded with the first watch trigger: an engine that has none never holds it.
    const { PathWatch } = wanted.size > 0 ? await import("./path-watch.js") : { PathWatch: undefined };
    const closing: Promise<void>[] = [];
    for (const [key, armed] of this.armed) {
      if (wanted.get(key)?.signature === armed.signature) continue;
      closing.push(armed.watch.close());
      this.armed.delete(key);
    }
    const opening = [...wanted].filter(([key]) => !this.armed.has(key));
    // Armed on an engine that has just taken the lead: a run of the trigger may be under way elsewhere (the old leader
    // fired it), and its writes are its own here too.
    const underway = this.deps.shared && opening.length > 0 ? await this.underway.read().catch(() => undefined) : undefined;
    const opened: Promise<void>[] = [];
    for (const [key, want] of opening) {
      const watch = this.open(key, want, PathWatch!);
      this.armed.set(key, { signature: want.signature, watch, debounceMs: want.debounceMs });
      opened.push(watch.ready);
      const runKey = underwayKey(want.namespace, want.name, triggerKey(want.index, "watch"));
      if (underway?.keys.has(runKey)) this.waitForEnd(key, runKey, want.debounceMs, this.own.fired(key), underway.readAt);
    }
    this.own.keepOnly(new Set(wanted.keys()));
    await Promise.all([...closing, ...opened]);
  }

  /** A run ended that a watch trigger started (its trigger key is `<index>:watch`): its writes settle, then changes count again. */
  ended(namespace: string, name: string, triggerKey: string): void {
    const index = /^(\d+):watch$/.exec(triggerKey)?.[1];
    if (index === undefined) return;
    const key = `${namespace}/${name}/${index}`;
    this.own.ended(key, this.armed.get(key)?.debounceMs ?? DEFAULT_WATCH_DEBOUNCE_MS);
  }

  /** Its run may end on another engine, which tells only its own: the store is asked (see underway-triggers.ts). */
  private waitForEnd(key: string, runKey: string, debounceMs: number, generation: number, since: number): void {
    this.underway.wait(runKey, since, () => this.own.ended(key, debounceMs, generation));
  }

  async close(): Promise<void> {
    this.underway.clear();
    const all = [...this.armed.values()].map((armed) => armed.watch.close());
    this.armed.clear();
    await Promise.all(all);
  }

  private async wantedOf(rows: PipelineRow[]): Promise<Map<string, Wanted & { signature: string }>> {
    const wanted = new Map<string, Wanted & { signature: string }>();
    const baseDirs = new Map<string, string>();
    for (const row of rows) {
      for (const [index, trigger] of (row.definition as PipelineDef).triggers.entries()) {
        if (trigger.kind !== "watch" || trigger.watch === undefined) continue;
        if (!baseDirs.has(row.namespace)) baseDirs.set(row.namespace, await this.deps.baseDirOf(row.namespace));
        const baseDir = baseDirs.get(row.namespace)!;
        const targets = [...new Set((typeof trigger.watch === "string" ? [trigger.watch] : trigger.watch).map((path) => resolve(baseDir, path)))];
        const debounceMs = trigger.debounce ?? DEFAULT_WATCH_DEBOUNCE_MS;
        wanted.set(`${row.namespace}/${row.name}/${index}`, { namespace: row.namespace, name: row.name, index, targets, debounceMs, signature: JSON.stringify([targets, debounceMs]) });
      }
    }
    return wanted;
  }

  private open(key: string, want: Wanted, PathWatch: typeof import("./path-watch.js").PathWatch): PathWatch {
    const pipeline = `${want.namespace}/${want.name}`;
    const trigger = triggerKey(want.index, "watch");
    return new PathWatch({
      targets: want.targets,
      debounceMs: want.debounceMs,
      warn: (message, details) => this.deps.warn(message, { pipeline, trigger, ...details }),
      muted: (path) => {
        const { muted, first } = this.own.muted(key);
        if (first) this.deps.info("a change while this trigger's own run is under way (or just ended) starts no run: it is taken as that run's", { pipeline, trigger, path });
        return muted;
      },
      onBurst: (paths) => {
        // Muted from here on: the run this makes would otherwise fire the trigger again with its own writes.
        const generation = this.own.fired(key);
        const start = { namespace: want.namespace, name: want.name, index: want.index, kind: "watch" as const, actor: "watch", details: { paths: paths.slice(0, MAX_PATHS_SHOWN), changed: paths.length } };
        void this.deps.fire(start).then((made) => {
          if (!made) return this.own.notMade(key, generation);
          // Made and stored: from now on a read of the store that has no run of it under way means the run ended, wherever.
          this.waitForEnd(key, underwayKey(want.namespace, want.name, trigger), want.debounceMs, generation, Date.now());
        });
      },
    });
  }
}
