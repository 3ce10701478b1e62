/**
 * Run objects of recent runs, kept until their run changes. Building one
 * means reading the run and its task rows and assembling the object; a
 * client that polls `GET /runs/{id}` asks for the same object over and over.
 *
 * Every change to a run or its tasks is a stored event, and the engine
 * publishes each stored event on its bus: an event for a run drops that run's
 * object, so the next read builds it again from the store. A finished run
 * stays cached until it is retried (which publishes events too) or pushed out.
 * Log lines and progress are not part of the run object and change nothing.
 *
 * A run removed by retention is forgotten: by the engine that removed it at
 * once, by the others sharing its store when told (see removed-runs.ts).
 *
 * A run under way that this engine neither runs nor follows changes where
 * this bus does not hear it (another engine runs it, or a `spire run` in a
 * terminal): its object is built again at each ask, until it has finished.
 */
import type { EventBus } from "../event-bus.js";
import type { RunObject } from "./run-object.js";

const FINISHED = new Set(["succeeded", "failed", "canceled", "skipped", "interrupted"]);

/** Enough for the runs a person or a dashboard looks at; a large run's object can be a few hundred KB. */
const CACHE_SIZE = 100;

export class RunObjectCache {
  private readonly objects = new Map<string, RunObject>();
  /** A build in progress per run: a change during the build makes its result stale, so it is not kept. */
  private readonly building = new Map<string, object>();
  /** Runs being watched (see watch): how many times they changed. */
  private readonly watched = new Map<string, { changes: number }>();

  /** `heard`: whether this run's changes reach this bus (it runs here, or is followed here). */
  constructor(
    bus: EventBus,
    private readonly heard: (runId: string) => boolean = () => true,
  ) {
    bus.subscribe(null, (live) => {
      if (live.kind === "event") this.forget(live.event.run_id);
    });
  }

  /** The cached object, or a new one from `build` (kept only if the run did not change meanwhile). */
  async get(runId: string, build: () => Promise<RunObject>): Promise<RunObject> {
    const cached = this.objects.get(runId);
    if (cached) return cached;
    const ticket = {};
    this.building.set(runId, ticket);
    try {
      const object = deepFreeze(await build());
      if (this.building.get(runId) === ticket && (FINISHED.has(object.state) || this.heard(runId))) {
        if (this.objects.size >= CACHE_SIZE) this.objects.delete(this.objects.keys().next().value!);
        this.objects.set(runId, object);
      }
      return object;
    } finally {
      if (this.building.get(runId) === ticket) this.building.delete(runId);
    }
  }

  /** The object if it is kept, without building it. */
  cached(runId: string): RunObject | undefined {
    return this.objects.get(runId);
  }

  /** The runs whose objects are kept or being built (to check that they are still stored: see removed-runs.ts). */
  keptIds(): string[] {
    return [...new Set([...this.objects.keys(), ...this.building.keys()])];
  }

  forget(runId: string): void {
    this.objects.delete(runId);
    this.building.delete(runId);
    const watch = this.watched.get(runId);
    if (watch) watch.changes++;
  }

  /**
   * Watches a run from now on; the function returned ends the watch and
   * says how many times the run changed meanwhile (an event of it was
   * published, or it went elsewhere). Where the engine knows what those
   * changes were, what it knows is then still what a read of the store would give.
   */
  watch(runId: string): () => number {
    const watch = { changes: 0 };
    this.watched.set(runId, watch);
    return () => {
      if (this.watched.get(runId) === watch) this.watched.delete(runId);
      return watch.changes;
    };
  }
}

const jsonOf = new WeakMap<RunObject, Buffer>();

/**
 * The object as JSON, encoded in UTF-8, made once per object: a cached run
 * object is answered without serialising or encoding it again.
 */
export function runObjectJson(object: RunObject): Buffer {
  let bytes = jsonOf.get(object);
  if (bytes === undefined) jsonOf.set(object, (bytes = ownBytes(JSON.stringify(object))));
  return bytes;
}

const utf8 = new TextEncoder();

/**
 * The text in UTF-8, in memory of its own: Buffer.from puts a short text in
 * a slice of a shared 8 KB pool, which a kept slice would keep whole.
 */
function ownBytes(text: string): Buffer {
  const bytes = utf8.encode(text);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Shared objects are frozen, so a caller that changed one would fail at once instead of corrupting others' answers. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
