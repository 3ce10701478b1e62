/**
 * The engine's reservations, shared by every run: parallelism slots (a
 * counting semaphore), the cpus and memory that running tasks asked for
 * (`resources:`), and the units of task locks (the engine's one LockTable,
 * which whole runs also hold). A task starts only when all of it is free at
 * once — slot, cpus, memory, locks — and gives all of it back when its attempt
 * ends; a task without `resources:` reserves only its slot.
 *
 * Fairness: a run whose task waited for cpus, memory or locks is queued
 * (oldest first). While its locks are free, the oldest such run keeps what
 * its waiting task needs: another run's task that asks for cpus, memory or
 * the same locks starts only on what is left over beyond that, so a big
 * request is not starved by a stream of small ones. Tasks that ask for
 * nothing but a slot are not held back (slots go to whoever asks first).
 * A head whose locks are taken (by a whole run, say) keeps nothing: it waits
 * for them like anyone, so no one waits on a holder that waits on them.
 */
import { LockTable } from "./locks.js";
import { beyondCapacity, engineCapacity, SLOT_ONLY, type ResourceCapacity, type TaskRequest } from "./reservations.js";

export interface SlotsOptions {
  resources?: ResourceCapacity;
  /** The engine's lock table, shared with whole runs' locks. */
  locks?: LockTable;
  /** Told when a task gives locks back: whole runs may be waiting for them. */
  onLocksReleased?: () => void;
}

/** Why a request was not met: no slot free, or its cpus, memory or locks are not free (or kept for an older waiter). */
export type Refusal = "no-slot" | "busy";

export class Slots {
  private used = 0;
  private cpusUsed = 0;
  private memoryUsed = 0;
  private readonly waiters: (() => void)[] = [];
  /** Runs whose task waits for cpus, memory or locks, oldest first, with what it asks for. */
  private readonly queue = new Map<object, TaskRequest>();
  readonly resources: ResourceCapacity;
  readonly locks: LockTable;

  constructor(
    readonly capacity: number,
    private readonly options: SlotsOptions = {},
  ) {
    if (!(capacity >= 1)) throw new Error(`parallelism must be at least 1, got ${capacity}`);
    this.resources = options.resources ?? engineCapacity();
    this.locks = options.locks ?? new LockTable();
  }

  get inUse(): number {
    return this.used;
  }

  /** Cpus and memory reserved by running tasks now. */
  get reserved(): { cpus: number; memoryBytes: number } {
    return { cpus: this.cpusUsed, memoryBytes: this.memoryUsed };
  }

  /** Why the request can never be met here (it would wait forever); undefined when it can. */
  beyond(request: TaskRequest): string | undefined {
    return beyondCapacity(request, this.resources);
  }

  tryAcquire(request: TaskRequest = SLOT_ONLY, owner?: object): boolean {
    return this.claim(request, owner) === undefined;
  }

  /** Takes a slot and the request, all or nothing; undefined when taken, else why not. `owner` is the run asking (for fairness). */
  claim(request: TaskRequest = SLOT_ONLY, owner?: object): Refusal | undefined {
    if (this.used >= this.capacity) return "no-slot";
    if (request === SLOT_ONLY) return this.takeUnchecked(request);
    const free = { cpus: this.resources.cpus - this.cpusUsed, memoryBytes: this.resources.memoryBytes - this.memoryUsed };
    if (request.cpus > free.cpus || request.memoryBytes > free.memoryBytes || !this.locks.fits(request.locks, request.capacityOf)) return "busy";
    const head = this.head(owner);
    if (head && this.eatsInto(request, head, free)) return "busy";
    return this.takeUnchecked(request);
  }

  /** Takes a slot and the request even beyond capacity: for an attempt already running (adopted after a restart), which cannot wait. */
  take(request: TaskRequest = SLOT_ONLY): void {
    this.takeUnchecked(request);
  }

  release(request: TaskRequest = SLOT_ONLY): void {
    if (this.used <= 0) throw new Error("Slots.release without acquire");
    this.used--;
    this.cpusUsed -= request.cpus;
    this.memoryUsed -= request.memoryBytes;
    if (request.locks.length > 0) {
      this.locks.release(request.locks, request.holder);
      this.options.onLocksReleased?.();
    }
    this.wake();
  }

  /** Calls `wake` once, the next time a slot, resources or locks are released (it must still claim, and may register again). */
  onFree(wake: () => void): void {
    this.waiters.push(wake);
  }

  /**
   * Wakes the waiters, oldest first: also called by the engine when a whole
   * run gives its locks back. Each tries again (a waiter claims
   * synchronously as it is woken); one that no longer needs anything (its
   * run was canceled) does not leave the others asleep. Once no slot is
   * left the rest stay asleep, in their order: every claim would be refused
   * for want of a slot, and waking them all at each release made a release
   * cost as many pumps as runs waited (hundreds under a burst of runs).
   */
  wake(): void {
    const waiting = this.waiters.splice(0);
    let woken = 0;
    while (woken < waiting.length && this.used < this.capacity) waiting[woken++]!();
    // Ahead of those that asked again meanwhile: they were woken after them.
    if (woken < waiting.length) this.waiters.unshift(...waiting.slice(woken));
  }

  /** `owner`'s task waits for cpus, memory or locks: it keeps its place in the queue if it had one. */
  wait(owner: object, request: TaskRequest): void {
    this.queue.set(owner, request);
  }

  /** `owner` waits for nothing any more (started, stopped, or only waits for a slot). */
  withdraw(owner: object): void {
    // Others may have been held back for it: they look again (after the caller is done).
    if (this.queue.delete(owner)) queueMicrotask(() => this.wake());
  }

  /** The oldest other waiter whose locks are free now: what it needs is kept for it. */
  private head(owner: object | undefined): TaskRequest | undefined {
    for (const [waiter, request] of this.queue) {
      if (waiter === owner) return undefined;
      if (this.locks.fits(request.locks, request.capacityOf)) return request;
    }
    return undefined;
  }

  /** Whether taking `request` leaves the head less than it needs of something both ask for. */
  private eatsInto(request: TaskRequest, head: TaskRequest, free: { cpus: number; memoryBytes: number }): boolean {
    if (request.cpus > 0 && head.cpus > 0 && free.cpus - request.cpus < head.cpus) return true;
    if (request.memoryBytes > 0 && head.memoryBytes > 0 && free.memoryBytes - request.memoryBytes < head.memoryBytes) return true;
    return request.locks.some(({ name, count }) => {
      const wanted = head.locks.find((lock) => lock.name === name);
      return wanted !== undefined && this.locks.holders(name) + count + wanted.count > head.capacityOf(name);
    });
  }

  private takeUnchecked(request: TaskRequest): undefined {
    this.used++;
    this.cpusUsed += request.cpus;
    this.memoryUsed += request.memoryBytes;
    if (request.locks.length > 0) this.locks.take(request.locks, request.holder);
    return undefined;
  }
}
