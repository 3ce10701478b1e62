/**
 * The capacities of the named locks a namespace declares (`locks:` at the
 * top of its definitions file), as admission reads them. Read once per
 * second at most: every admission asks (bench/fire: 2,000 a second). This
 * engine's applies drop the copy at once (forget); another engine's (a
 * shared PostgreSQL) count within a second.
 */
import type { Store } from "../../store/port.js";
import type { EngineLogger } from "../engine.js";

/** Lock capacities read from the store are trusted this long. */
const CAPACITIES_FRESH_MS = 1_000;

export class LockCapacities {
  private readonly known = new Map<string, { capacities: Record<string, number>; readAt: number }>();
  private readonly reads = new Map<string, Promise<Record<string, number>>>();

  constructor(private readonly deps: { store: Pick<Store, "getNamespace">; logger: EngineLogger; now: () => number }) {}

  async of(namespace: string): Promise<Record<string, number>> {
    const known = this.known.get(namespace);
    if (known && this.deps.now() - known.readAt < CAPACITIES_FRESH_MS) return known.capacities;
    // Admissions that come while it is read wait for that read (a burst of POSTs made one read each).
    let reading = this.reads.get(namespace);
    if (reading === undefined) {
      const read = this.read(namespace, known).finally(() => {
        if (this.reads.get(namespace) === read) this.reads.delete(namespace);
      });
      this.reads.set(namespace, (reading = read));
    }
    return reading;
  }

  /** Definitions were applied: capacities are read again at the next admission. */
  forget(): void {
    this.known.clear();
    this.reads.clear();
  }

  private async read(namespace: string, known: { capacities: Record<string, number> } | undefined): Promise<Record<string, number>> {
    let declared: unknown;
    try {
      declared = (await this.deps.store.getNamespace(namespace))?.metadata.locks;
    } catch (error) {
      // The run is stored as queued: failing here would leave it there, in no queue, until a restart. The last
      // capacities read serve meanwhile; a lock never read counts as 1, its strictest.
      this.deps.logger.warn({ namespace, error: (error as Error).message }, "the lock capacities could not be read: the last ones known serve");
      return known?.capacities ?? {};
    }
    const capacities = declared && typeof declared === "object" ? (declared as Record<string, number>) : {};
    this.known.set(namespace, { capacities, readAt: this.deps.now() });
    return capacities;
  }
}
