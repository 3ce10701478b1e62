/**
 * Named, counted locks shared across pipelines (SPEC §2 `locks`): a run of a
 * pipeline with `locks: [db]` holds one unit of `db` from its start to its
 * end. A lock's capacity is what the definitions file that declares it says
 * (`locks: { db: 2 }`), 1 when undeclared. All or nothing: a run takes every
 * lock it needs at once or waits, so two runs never hold half of each
 * other's needs (no deadlock).
 */
export class LockTable {
  private readonly held = new Map<string, number>();

  /** Takes one unit of each lock if all are free; false (and nothing taken) otherwise. */
  tryAcquire(names: readonly string[], capacityOf: (name: string) => number): boolean {
    const wanted = [...new Set(names)];
    if (wanted.some((name) => (this.held.get(name) ?? 0) >= capacityOf(name))) return false;
    for (const name of wanted) this.held.set(name, (this.held.get(name) ?? 0) + 1);
    return true;
  }

  release(names: readonly string[]): void {
    for (const name of new Set(names)) {
      const count = (this.held.get(name) ?? 0) - 1;
      if (count <= 0) this.held.delete(name);
      else this.held.set(name, count);
    }
  }

  holders(name: string): number {
    return this.held.get(name) ?? 0;
  }
}
