/**
 * Group commit for the store's runs: the new runs (createRun) and state
 * changes (write) asked for while a batch is on its way wait, and go
 * together as the next one (batch-write.ts): one statement in one
 * transaction, one commit, and the events' counter taken once for many runs
 * instead of once each. Under load that counter is what every engine's
 * appends queue on, each holder keeping it through its commit's flush to
 * disk (events.ts); with one engine at rest a call goes at once, alone.
 *
 * One batch at a time: a call is stored after every call made before it
 * (Store.write's order). A batch that fails is tried again call by call, so
 * that each call hears of its own failure only (a run that is missing, or
 * taken over by another engine, an id taken, a row the database refuses)
 * and the others are stored; one whose outcome stays unknown (the
 * connection went silent as it committed, and the server could not say)
 * fails all of its calls.
 */
import { RunNotFoundError, RunTakenOverError } from "../errors.js";
import { codeOf, connectionLost } from "./pool.js";
import type { BatchCall, BatchOutcome, Stored } from "./sql/batch-write.js";

/** A call waiting for its batch, and how to answer it. */
export interface Pending<Call, Result> {
  call: Call;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * One batch at a time: the calls made while a batch is on its way wait, and
 * `send` takes them together as the next one (answering each). A call made
 * while none is on its way goes at once, alone.
 */
export class Batches<Call, Result> {
  private waiting: Pending<Call, Result>[] = [];
  private busy = false;

  constructor(private readonly send: (batch: Pending<Call, Result>[]) => Promise<void>) {}

  add(call: Call): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ call, resolve, reject });
      if (this.waiting.length === 1 && !this.busy) queueMicrotask(() => void this.next());
    });
  }

  private async next(): Promise<void> {
    if (this.busy || this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    this.busy = true;
    try {
      await this.send(batch).catch((error: unknown) => batch.forEach((pending) => pending.reject(error)));
    } finally {
      this.busy = false;
      void this.next();
    }
  }
}

type Waiting = Pending<BatchCall, Stored>;

export class WriteBatches {
  private readonly batches = new Batches<BatchCall, Stored>((batch) => this.store(batch));

  constructor(private readonly write: (calls: readonly BatchCall[]) => Promise<BatchOutcome[]>) {}

  add(call: BatchCall): Promise<Stored> {
    return this.batches.add(call);
  }

  private async store(batch: Waiting[]): Promise<void> {
    let outcomes: BatchOutcome[];
    try {
      outcomes = await this.write(batch.map((waiting) => waiting.call));
    } catch (error) {
      if (batch.length > 1 && nothingStored(error)) {
        for (const waiting of batch) await this.store([waiting]);
      } else for (const waiting of batch) waiting.reject(error);
      return;
    }
    batch.forEach((waiting, index) => {
      const outcome = outcomes[index]!;
      if (outcome instanceof Error) waiting.reject(outcome);
      else waiting.resolve(outcome);
    });
  }
}

/** The batch failed as a whole and the database said so: nothing of it was stored. */
function nothingStored(error: unknown): boolean {
  return error instanceof RunNotFoundError || error instanceof RunTakenOverError || (codeOf(error) !== "" && !connectionLost(error));
}
