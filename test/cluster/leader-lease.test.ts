/**
 * The scheduling lease on a real PostgreSQL: one leader among several, a
 * new term at each change of hands, renewal only by the current term's
 * holder, stepping down on errors and on its own clock, and a quick
 * hand-over on a clean stop.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { LeaderLease, type Leadership } from "../../src/cluster/leader-lease.js";
import { Listener } from "../../src/cluster/pg-listener.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { POSTGRES_URL, freshSchema } from "../helpers/postgres.js";
import { until } from "../helpers/poll.js";

interface Contender {
  id: string;
  lease: LeaderLease;
  pool: pg.Pool;
  /** Resolves when it next leads (or stops leading, with `false`). */
  next(leading: boolean, withinMs: number): Promise<Leadership | undefined>;
  problems: string[];
}

/** The store's schema (its migrations make the lease's table), and pools on it as engines would have. */
async function table(t: TestContext) {
  const schema = await freshSchema(t);
  const store = openPostgresStore(POSTGRES_URL, { schema });
  await store.init();
  await store.close();
  const pools: pg.Pool[] = [];
  const db = {
    pool(max = 2) {
      const pool = new pg.Pool({ connectionString: POSTGRES_URL, max, options: `-c search_path=${schema}` });
      pools.push(pool);
      return pool;
    },
  };
  const setup = db.pool(1);
  const listener = new Listener({ connectionString: POSTGRES_URL });
  await listener.start();
  const contenders: Contender[] = [];
  // In this order: the leases let go, then their connections close.
  t.after(async () => {
    await Promise.all(contenders.map((contender) => contender.lease.stop()));
    await listener.stop();
    await Promise.all(pools.map((pool) => pool.end()));
  });
  const row = async () => (await setup.query<{ holder: string; term: string; lapsed: boolean }>("SELECT holder, term, expires_at <= now() AS lapsed FROM spire_leader WHERE name = 'scheduler'")).rows[0];
  function contender(options: { ttlMs?: number; tryEveryMs?: number; listen?: boolean } = {}): Contender {
    const id = randomUUID();
    const pool = db.pool(2);
    const waiters: { leading: boolean; resolve(value: Leadership | undefined): void }[] = [];
    const problems: string[] = [];
    const lease = new LeaderLease({
      pool,
      name: "scheduler",
      holder: id,
      ttlMs: options.ttlMs ?? 1500,
      tryEveryMs: options.tryEveryMs ?? 100,
      ...(options.listen === false ? {} : { listener }),
      onChange: (leading) => {
        for (const waiter of waiters.splice(0)) {
          if ((leading !== undefined) === waiter.leading) waiter.resolve(leading);
          else waiters.push(waiter);
        }
      },
      onProblem: (message) => problems.push(message),
    });
    const made: Contender = {
      id,
      lease,
      pool,
      problems,
      next: (leading, withinMs) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`not ${leading ? "leading" : "stepped down"} within ${withinMs} ms`)), withinMs);
          waiters.push({ leading, resolve: (value) => (clearTimeout(timer), resolve(value)) });
        }),
    };
    contenders.push(made);
    return made;
  }
  return { db, setup, row, contender, listener };
}

test("of three engines one leads; a clean stop hands over within a second (NOTIFY, not the next try), in a new term", async (t) => {
  const { contender, row } = await table(t);
  const engines = [contender({ tryEveryMs: 10_000 }), contender({ tryEveryMs: 10_000 }), contender({ tryEveryMs: 10_000 })];
  const first = Promise.race(engines.map((engine) => engine.next(true, 5000).then((leadership) => ({ engine, leadership }))));
  for (const engine of engines) engine.lease.start();
  const { engine: leader, leadership } = await first;
  assert.equal(leadership!.term, 1);
  // Give the others their first tries: none of them leads meanwhile.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(engines.map((engine) => engine.lease.leading !== undefined).sort(), [false, false, true]);
  assert.equal((await row())!.holder, leader.id);

  const others = engines.filter((engine) => engine !== leader);
  const started = performance.now();
  const next = Promise.race(others.map((engine) => engine.next(true, 5000).then((leadership) => ({ engine, leadership }))));
  await leader.lease.stop();
  const { engine: successor, leadership: taken } = await next;
  const handOverMs = performance.now() - started;
  assert.ok(handOverMs < 1000, `handed over in ${Math.round(handOverMs)} ms`);
  assert.equal(taken!.term, 2, "a new term");
  assert.equal((await row())!.holder, successor.id);
});

test("a holder that vanishes (no release: a kill -9) is replaced once its lease lapses by the database's clock", async (t) => {
  const { contender, row } = await table(t);
  const a = contender({ ttlMs: 1500 });
  a.lease.start();
  await a.next(true, 5000);
  const b = contender({ ttlMs: 1500 });
  b.lease.start();
  // a's process is gone: it neither renews nor releases.
  await a.lease.stop({ release: false });
  const started = performance.now();
  const leadership = await b.next(true, 5000);
  const tookMs = performance.now() - started;
  assert.equal(leadership!.term, 2);
  assert.ok(tookMs >= 500 && tookMs < 2500, `taken over ${Math.round(tookMs)} ms after the holder vanished (lease 1.5 s)`);
  assert.equal((await row())!.holder, b.id);
});

test("renewal is scoped to the term won: a holder whose row was taken steps down at its next renewal", async (t) => {
  const { contender, setup } = await table(t);
  const a = contender({ ttlMs: 1500 });
  a.lease.start();
  const leadership = await a.next(true, 5000);
  // Another engine took over (say after a's lease lapsed while its renewal was in flight).
  await setup.query("UPDATE spire_leader SET holder = 'someone else', term = term + 1");
  await a.next(false, 3000);
  assert.equal(a.lease.leading, undefined);
  assert.match(a.problems.join("\n"), new RegExp(`stopped leading \\(term ${leadership!.term}\\): another engine holds the lease now`));
});

test("a leader paused past its lease (a long GC, SIGSTOP) has stepped down by its own clock the moment it wakes, before any query", async (t) => {
  const { contender, row } = await table(t);
  const a = contender({ ttlMs: 900 });
  a.lease.start();
  const won = await a.next(true, 5000);
  // This very thread stops for longer than the lease: no timer, no query runs meanwhile.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1100);
  assert.equal(a.lease.leading, undefined, "it no longer leads, by its own clock");
  assert.match(a.problems.join("\n"), /lapsed by this engine's clock/);
  // A renewal that was on its way as the thread stopped may have been committed meanwhile (the database does not
  // stop with us): the database's lease then lapses at most one lease after that, and nothing renews that term again.
  // a, still a contender, may take the lapsed lease at once, in a new term: on a slow machine the moment it lies
  // lapsed can fall between two looks, so a new term counts as the old one having lapsed.
  await until(
    async () => {
      const now = (await row())!;
      return now.lapsed === true || Number(now.term) > won!.term;
    },
    "the lease to lapse by the database's clock as well",
    900 + 1000,
  );
});

test("an error on renewal steps down at once, and it leads again in a new term once the database answers", async (t) => {
  const { contender, setup } = await table(t);
  const a = contender({ ttlMs: 3000 });
  a.lease.start();
  const first = await a.next(true, 5000);
  const down = a.next(false, 5000);
  await setup.query("ALTER TABLE spire_leader RENAME TO spire_leader_away");
  await down;
  assert.match(a.problems.join("\n"), /could not be renewed: relation "spire_leader" does not exist/);
  const again = a.next(true, 5000);
  await setup.query("ALTER TABLE spire_leader_away RENAME TO spire_leader");
  assert.equal((await again)!.term, first!.term + 1);
});

test("a renewal stuck in the database (a lock, a full pool) steps down by the engine's own clock while it waits", async (t) => {
  const { contender, db } = await table(t);
  const a = contender({ ttlMs: 3000 });
  a.lease.start();
  await a.next(true, 5000);
  const blocker = db.pool(1);
  const client = await blocker.connect();
  try {
    await client.query("BEGIN");
    // Its renewals queue behind this lock, and so would any try to take the lead again.
    await client.query("LOCK TABLE spire_leader IN ACCESS EXCLUSIVE MODE");
    const locked = performance.now();
    while (a.lease.leading !== undefined) {
      assert.ok(performance.now() - locked < 5000, "still leading 5 s after its table was locked (lease 3 s)");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const tookMs = performance.now() - locked;
    assert.ok(tookMs <= 3000, `stepped down ${Math.round(tookMs)} ms after the table was locked (lease 3 s)`);
    assert.match(a.problems.join("\n"), /lapsed by this engine's clock|came back too late to trust/);
    await client.query("ROLLBACK");
  } finally {
    client.release();
  }
  await a.next(true, 8000);
});
