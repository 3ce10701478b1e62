/**
 * `spire engine --store` / SPIRE_STORE: what a user can get wrong is refused
 * before anything connects (exit 2, the option, what to do, never the
 * password), a database that does not answer is said plainly (exit 3), and
 * an engine on PostgreSQL runs a pipeline and says it leads.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { apiGet, pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";
import { freshSchema, POSTGRES_URL } from "../helpers/postgres.js";

checkNoLeftoverProcesses();

function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
}

test("a store URL Spire cannot use safely is refused before anything connects: exit 2, what is wrong, what to do, never the password", async (t) => {
  const data = tempDir(t);
  const cases: { args: string[]; env?: Record<string, string>; says: RegExp; hint: RegExp }[] = [
    { args: ["--store", "mysql://root@127.0.0.1/test"], says: /--store is not a PostgreSQL URL/, hint: /postgres:\/\/USER@HOST:5432\/DATABASE/ },
    { args: ["--store", "postgres://spire:hunter2@127.0.0.1/test"], says: /--store holds a password: every user of this machine can read a command line/, hint: /SPIRE_STORE instead, or the password in PGPASSWORD or ~\/.pgpass/ },
    { args: ["--store", "postgres://spire@db.example.net/test"], says: /--store reaches PostgreSQL at db\.example\.net without TLS/, hint: /sslmode=verify-full.*--allow-insecure-store/s },
    { args: [], env: { SPIRE_STORE: "postgres://spire:hunter2@db.example.net/test?sslmode=disable" }, says: /SPIRE_STORE reaches PostgreSQL at db\.example\.net without TLS/, hint: /sslmode=verify-full/ },
    { args: ["--store", "postgres://spire@127.0.0.1/test?schema=Bad-Name"], says: /--store: schema="Bad-Name" is not a plain schema name/, hint: /lower-case letters/ },
    { args: ["--store", "postgres://spire@127.0.0.1/test", "--leader-lease", "200ms"], says: /--leader-lease "200ms" is not a duration of at least 1s/, hint: /--leader-lease 10s/ },
  ];
  for (const { args, env, says, hint } of cases) {
    const result = await spire(["engine", "--listen", "127.0.0.1:0", ...args], { data, ...(env ? { env } : {}) });
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, says);
    assert.match(result.stderr, hint);
    assert.doesNotMatch(result.stderr, /hunter2/, "the password is never repeated");
    assertNoStack(result.stderr);
  }
});

test("a PostgreSQL that does not answer is said plainly: exit 3, where (without the password), what to check", async (t) => {
  const data = tempDir(t);
  const result = await spire(["engine", "--listen", "127.0.0.1:0"], { data, env: { SPIRE_STORE: "postgres://spire:hunter2@127.0.0.1:1/test" } });
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /cannot use the PostgreSQL store at postgres:\/\/spire@127\.0\.0\.1:1\/test: .*ECONNREFUSED/);
  assert.match(result.stderr, /Check that PostgreSQL runs/);
  assert.doesNotMatch(result.stderr, /hunter2/);
  assertNoStack(result.stderr);
});

test("without an engine, a command does not fall back to the data folder's SQLite when SPIRE_STORE names PostgreSQL: exit 3, what to do", async (t) => {
  const data = tempDir(t);
  const result = await spire(["runs"], { data, env: { SPIRE_STORE: "postgres://spire@127.0.0.1/test" } });
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /no engine answers, and SPIRE_STORE names a PostgreSQL store/);
  assert.match(result.stderr, /Start one \(spire engine\), or point SPIRE_ENGINE at one/);
  assertNoStack(result.stderr);
});

test("an engine on PostgreSQL alone runs a pipeline, leads the scheduling, and says where its store is (admin only)", async (t) => {
  const schema = await freshSchema(t);
  const data = tempDir(t);
  // The store's URL (which may hold its password) is the engine's: its tasks never see it.
  const file = pipelineFile(data, 'pipelines:\n  hello:\n    tasks:\n      say: { run: \'echo "store=${SPIRE_STORE:-none}"\' }\n');
  const engine = await startEngine(t, data, ["-f", file], { SPIRE_STORE: `${POSTGRES_URL}?schema=${schema}` });
  const run = await spire(["run", "hello", "--json"], { data });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).state, "succeeded");
  const logs = await spire(["logs", JSON.parse(run.stdout).id], { data });
  assert.match(logs.stdout, /store=none/);
  const info = await apiGet<{ store: { kind: string; location?: string }; scheduling: { leading: boolean } | null }>(engine, "/engine");
  assert.equal(info.store.kind, "postgres");
  assert.match(info.store.location ?? "", new RegExp(`\\(schema ${schema}\\)`));
  for (let tries = 0; !(await apiGet<{ scheduling: { leading: boolean } }>(engine, "/engine")).scheduling.leading; tries++) {
    assert.ok(tries < 100, "it leads within a few seconds");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stopEngine(engine);
});
