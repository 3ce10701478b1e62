/**
 * A fresh PostgreSQL schema for one test, on the local server (SPIRE_TEST_POSTGRES
 * overrides the URL), dropped after it. PostgreSQL not answering fails the
 * test with how to start it: CI starts it (.ci/run), so a skip would hide a
 * broken machine.
 */
import type { TestContext } from "node:test";
import { randomBytes } from "node:crypto";
import pg from "pg";

export const TEST_POSTGRES = process.env.SPIRE_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestSchema {
  url: string;
  schema: string;
  /** A pool whose connections use the schema (search_path). */
  pool(max?: number): pg.Pool;
}

export async function freshSchema(t: TestContext): Promise<TestSchema> {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`PostgreSQL does not answer at ${TEST_POSTGRES} (${(error as Error).message}): start it with pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`);
  }
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pools: pg.Pool[] = [];
  t.after(async () => {
    await Promise.all(pools.map((pool) => pool.end().catch(() => undefined)));
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  });
  return {
    url: TEST_POSTGRES,
    schema,
    pool(max = 4) {
      const pool = new pg.Pool({ connectionString: TEST_POSTGRES, max, options: `-c search_path=${schema}` });
      pool.on("error", () => undefined); // a connection killed on purpose (pg_terminate_backend)
      pools.push(pool);
      return pool;
    },
  };
}
