/**
 * Named, counted locks shared across pipelines (SPEC §2 `locks`): a run of a
 * pipeline with `locks: [db]` holds one unit of `db` from its start to its
 * end, and a task with `locks: [db]` (or `{ name: db, count: 2 }`) holds its
 * units while it runs, from the same table. A lock's capacity is what the
 * definitions file that declares it says (`locks: { db: 2 }`), 1 when
 * undeclared. All or nothing: a holder takes every lock it needs at once or
 * waits, so two holders never hold half of each other's needs (no deadlock).
 */
export interface LockRequest {
  name: string;
  count: number;
}

/** `[db, { name: tool, count: 2 }]` as units per lock; a name given twice is taken once, with its largest count. */
export function normaliseLocks(locks: readonly (string | LockRequest)[]): LockRequest[] {
  const units = new Map<string, number>();
  for (const lock of locks) {
    const { name, count } = typeof lock === "string" ? { name: lock, count: 1 } : lock;
    units.set(name, Math.max(units.get(name) ?? 0, count));
  }
  return [...units].map(([name, count]) => ({ name, count }));
}

/** Who holds units of a lock: a whole run (task null), or one task of a run while it runs. */
export interface LockHolder {
  run_id: string;
  task: string | null;
}

export class LockTable {
  private readonly held = new Map<string, number>();
  /** Units held per lock and holder, for those who ask who holds what (GET /engine); holders that gave none are not kept. */
  private readonly owners = new Map<string, Map<string, { holder: LockHolder; count: number }>>();

  /** Takes the units of each lock if all are free; false (and nothing taken) otherwise. */
  tryAcquire(locks: readonly (string | LockRequest)[], capacityOf: (name: string) => number, holder?: LockHolder): boolean {
    const wanted = normaliseLocks(locks);
    if (!this.fits(wanted, capacityOf)) return false;
    this.take(wanted, holder);
    return true;
  }

  /** Whether every lock has its units free. */
  fits(locks: readonly LockRequest[], capacityOf: (name: string) => number): boolean {
    return locks.every(({ name, count }) => this.holders(name) + count <= capacityOf(name));
  }

  /** Takes the units whatever the capacity: for holders that already ran (adopted after a restart), which cannot wait. */
  take(locks: readonly (string | LockRequest)[], holder?: LockHolder): void {
    for (const { name, count } of normaliseLocks(locks)) {
      this.held.set(name, this.holders(name) + count);
      if (holder) this.own(name, holder, count);
    }
  }

  release(locks: readonly (string | LockRequest)[], holder?: LockHolder): void {
    for (const { name, count } of normaliseLocks(locks)) {
      const left = this.holders(name) - count;
      if (left <= 0) this.held.delete(name);
      else this.held.set(name, left);
      if (holder) this.own(name, holder, -count);
    }
  }

  /** Each lock with units held now, its units and who holds them (holders named when they took their units). */
  snapshot(): { name: string; held: number; holders: { holder: LockHolder; count: number }[] }[] {
    return [...this.held].map(([name, held]) => ({ name, held, holders: [...(this.owners.get(name)?.values() ?? [])].map((entry) => ({ ...entry })) }));
  }

  private own(name: string, holder: LockHolder, count: number): void {
    const key = `${holder.run_id}\u0000${holder.task ?? ""}`;
    let byHolder = this.owners.get(name);
    if (!byHolder) this.owners.set(name, (byHolder = new Map()));
    const units = (byHolder.get(key)?.count ?? 0) + count;
    if (units > 0) byHolder.set(key, { holder, count: units });
    else byHolder.delete(key);
    if (byHolder.size === 0) this.owners.delete(name);
  }

  /** Units of the lock held now. */
  holders(name: string): number {
    return this.held.get(name) ?? 0;
  }
}
