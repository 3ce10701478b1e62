/**
 * What the trigger that gives a task's lock units back (PostgreSQL
 * migration 10, task_runs_release_locks) costs at every attempt's end,
 * in PostgreSQL's own time: EXPLAIN ANALYZE of attempts' rows going from
 * running to succeeded, in a new store schema (dropped at the end), once
 * as one statement of `--rows` attempts and once as `--single` statements
 * of one attempt each (an engine's write usually ends a few). The trigger's
 * time is PostgreSQL's figure for it; the statement's is measured with the
 * trigger on and off in turn, `--rounds` times.
 *
 *     npm run build && node dist/bench/pg-task-locks.js [--rows 20000] [--single 1000] [--rounds 3]
 */
import pg from "pg";
import { openPostgresStore } from "../src/store/postgres/index.js";

const url = process.env.SPIRE_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";
const option = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : Number(process.argv[index + 1]);
};
const rows = option("rows", 20_000);
const single = option("single", 1_000);
const rounds = option("rounds", 3);
const schema = `spire_bench_task_locks_${process.pid}`;

const store = openPostgresStore(url, { schema });
await store.init();
await store.close();
const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  await client.query(`SET search_path = ${schema}`);
  await client.query(`INSERT INTO runs (id, namespace, pipeline, state, "trigger", args, definition, created_at, warnings, errors, metrics)
    SELECT 'r' || i, 'n', 'p', 'running', '{}', '{}', '{}', 0, 0, 0, '{}' FROM generate_series(1, 200) AS i`);
  const running = async (count: number) => {
    await client.query("DELETE FROM task_runs");
    await client.query(`INSERT INTO task_runs (run_id, path, attempt, state, warnings, errors, metrics, outputs)
      SELECT 'r' || (i % 200 + 1), 't' || i, 1, 'running', 0, 0, '{}', '{}' FROM generate_series(1, $1::integer) AS i`, [count]);
  };
  /** PostgreSQL's times for a statement: the trigger's and the whole execution's, in ms. */
  const explained = async (text: string, values: unknown[] = []) => {
    const plan = (await client.query(`EXPLAIN (ANALYZE) ${text}`, values)).rows.map((row: Record<string, string>) => row["QUERY PLAN"]!);
    const figure = (pattern: RegExp) => Number(plan.map((line) => pattern.exec(line)?.[1]).find((found) => found !== undefined) ?? 0);
    return { trigger: figure(/Trigger task_runs_release_locks: time=([0-9.]+)/), total: figure(/Execution Time: ([0-9.]+)/) };
  };
  const us = (ms: number, count: number) => ((ms / count) * 1000).toFixed(1);
  // The function is compiled at its first call in a session: that call is not counted.
  await running(1);
  await explained("UPDATE task_runs SET state = 'succeeded'");
  for (let round = 1; round <= rounds; round++) {
    for (const on of [true, false]) {
      await client.query(`ALTER TABLE task_runs ${on ? "ENABLE" : "DISABLE"} TRIGGER task_runs_release_locks`);
      await running(rows);
      const batch = await explained("UPDATE task_runs SET state = 'succeeded'");
      await running(single);
      let trigger = 0;
      let total = 0;
      for (let index = 1; index <= single; index++) {
        const one = await explained("UPDATE task_runs SET state = 'succeeded' WHERE run_id = $1 AND path = $2 AND attempt = 1", [`r${(index % 200) + 1}`, `t${index}`]);
        trigger += one.trigger;
        total += one.total;
      }
      console.log(
        `round ${round}, trigger ${on ? "on " : "off"}: ${rows} attempts in one statement ${batch.total.toFixed(1)} ms (trigger ${batch.trigger.toFixed(1)}: ${us(batch.trigger, rows)} µs an attempt); ` +
          `${single} one-attempt statements ${us(total, single)} µs each (trigger ${us(trigger, single)} µs)`,
      );
    }
  }
} finally {
  await client.query(`DROP SCHEMA ${schema} CASCADE`);
  await client.end();
}
