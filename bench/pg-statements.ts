/**
 * A diagnostic for bench/postgres, preloaded into an engine with
 * `--engine-flags="--import=/ABS/dist/bench/pg-statements.js"` and
 * SPIRE_BENCH_PG_STATEMENTS=PREFIX in the environment (bench/postgres.js
 * --statements does both): counts every statement
 * the process sends through node-postgres, by its text (the first 100
 * characters), with the time each took from the call to its answer, and
 * writes them to PREFIX.<pid>.json when the process exits (and, with
 * SPIRE_BENCH_PG_TRACE=1, each statement in order to PREFIX.<pid>.trace). Spire's code is not
 * touched: the driver's Client.prototype.query is wrapped.
 */
import { writeFileSync } from "node:fs";
import pg from "pg";

interface Tally {
  count: number;
  ms: number;
}

const prefix = process.env.SPIRE_BENCH_PG_STATEMENTS;
/** With SPIRE_BENCH_PG_TRACE=1 as well: every statement in order, with its start and end (epoch ms, µs precision). */
const trace: string[] | undefined = process.env.SPIRE_BENCH_PG_TRACE ? [] : undefined;
// performance.now() + timeOrigin is epoch ms to the microsecond, like the engine's other marks (Date.now() would set it off by up to 1 ms).
const epochOffset = performance.timeOrigin;
const tallies = new Map<string, Tally>();
const original = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;

function keyOf(config: unknown): string {
  const text = typeof config === "string" ? config : ((config as { text?: string } | null)?.text ?? "?");
  return text.replace(/\s+/g, " ").trim().slice(0, 100);
}

function note(key: string, started: number): void {
  const tally = tallies.get(key) ?? { count: 0, ms: 0 };
  tally.count++;
  const ended = performance.now();
  tally.ms += ended - started;
  tallies.set(key, tally);
  trace?.push(`${(started + epochOffset).toFixed(3)} ${(ended + epochOffset).toFixed(3)} ${key}`);
}

(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]): unknown {
  const key = keyOf(args[0]);
  const started = performance.now();
  const last = args.length - 1;
  if (typeof args[last] === "function") {
    const callback = args[last] as (...results: unknown[]) => void;
    args[last] = (...results: unknown[]) => {
      note(key, started);
      callback(...results);
    };
    return original.apply(this, args);
  }
  // A query object of its own (a Submittable, such as the store's statements sent with their transaction's BEGIN) answers through its callback.
  const submittable = args[0] as { submit?: unknown; callback?: (...results: unknown[]) => void } | null;
  if (typeof submittable?.submit === "function" && typeof submittable.callback === "function") {
    const callback = submittable.callback;
    submittable.callback = (...results: unknown[]) => {
      note(key, started);
      callback(...results);
    };
    return original.apply(this, args);
  }
  const result = original.apply(this, args);
  if (result && typeof (result as Promise<unknown>).then === "function") (result as Promise<unknown>).then(() => note(key, started), () => note(key, started));
  return result;
};

export interface StatementTally extends Tally {
  text: string;
}

if (prefix) {
  process.on("exit", () => {
    const sorted: StatementTally[] = [...tallies].sort((a, b) => b[1].count - a[1].count).map(([text, tally]) => ({ text, ...tally }));
    writeFileSync(`${prefix}.${process.pid}.json`, JSON.stringify(sorted, null, 2));
    if (trace) writeFileSync(`${prefix}.${process.pid}.trace`, trace.join("\n") + "\n");
  });
}
