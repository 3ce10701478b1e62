/**
 * A data folder whose files Spire cannot use as they are (a database that is
 * no database or is damaged, or that another program keeps locked; a secret
 * cut short or readable by others; a token file gone or garbled while the
 * engine runs) is the user's to set right: each says which file, what is
 * wrong and what to do, never "internal error", and what it says to do works.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { spire } from "../helpers/cli.js";
import { startEngine, stopEngine } from "../helpers/engine.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

const ENGINE = ["engine", "--listen", "127.0.0.1:0"];

function noInternalError(stderr: string): void {
  assert.doesNotMatch(stderr, /internal error|SPIRE_DEBUG|\n\s+at /);
}

test("a spire.db that is no database: ls, run and engine name the file and say to move it aside; moved aside, Spire starts anew", async (t) => {
  const data = tempDir(t);
  const file = join(data, "spire.db");
  writeFileSync(file, "garbage\n");
  for (const args of [["ls"], ["run", "backup"], ENGINE]) {
    const result = await spire(args, { data });
    assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
    noInternalError(result.stderr);
    const [said, hint] = result.stderr.split("\n");
    assert.equal(said, `spire: the database ${file} cannot be read: it is not a Spire database, or it is damaged (SQLite: file is not a database)`, args[0]);
    assert.match(hint!, /^Move it aside \(with spire\.db-wal and spire\.db-shm, if there\): Spire then starts a new, empty database, to which you apply your definitions again \(spire apply -f FILE\)\. Or put back a copy from a backup\.$/);
  }
  renameSync(file, join(data, "spire.db.damaged"));
  const again = await spire(["ls"], { data });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /no pipelines/);
});

test("a spire.db whose pages are damaged, and a folder in its place: said as such", async (t) => {
  const data = tempDir(t);
  assert.equal((await spire(["ls"], { data })).code, 0);
  // Every page after the first made an empty b-tree page that claims cells it does not have.
  const file = join(data, "spire.db");
  const bytes = readFileSync(file);
  for (let page = 4096; page < bytes.length; page += 4096) bytes.set([0x0d, 0, 0, 0, 0xff, 0xff], page);
  writeFileSync(file, bytes);
  const damaged = await spire(["ls"], { data });
  assert.equal(damaged.code, 1, damaged.stderr);
  noInternalError(damaged.stderr);
  assert.match(damaged.stderr, new RegExp(`^spire: the database ${file} cannot be read: it is damaged \\(SQLite: .+\\)\nMove it aside `));

  const other = tempDir(t);
  mkdirSync(join(other, "spire.db"));
  const folder = await spire(["ls"], { data: other });
  assert.equal(folder.code, 1, folder.stderr);
  noInternalError(folder.stderr);
  assert.equal(folder.stderr, `spire: the database ${join(other, "spire.db")} cannot be read: it is a folder, not a file\nMove it aside: Spire then makes a new, empty database in its place.\n`);
});

test("a damaged page that only a later read meets (the runs table's): the database of --data, said as damaged", async (t) => {
  const data = tempDir(t);
  const file = join(data, "spire.db");
  const definitions = join(data, "spire.yaml");
  writeFileSync(definitions, 'pipelines:\n  p:\n    tasks:\n      a: { run: "true" }\n');
  assert.equal((await spire(["run", "-f", definitions, "p"], { data, cwd: data })).code, 0);
  const db = new Database(file, { readonly: true });
  const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'runs'").get() as { rootpage: number };
  const pageSize = db.pragma("page_size", { simple: true }) as number;
  db.close();
  const bytes = readFileSync(file);
  bytes.set([0x0d, 0, 0, 0, 0xff, 0xff], (rootpage - 1) * pageSize);
  writeFileSync(file, bytes);
  // Named with --data (SPIRE_DATA names another folder): the message names the one read.
  const listed = await spire(["--data", data, "runs"], { data: join(data, "not-this-one") });
  assert.equal(listed.code, 1, listed.stderr);
  noInternalError(listed.stderr);
  assert.match(listed.stderr, new RegExp(`^spire: the database ${file} cannot be read: it is damaged \\(SQLite: database disk image is malformed\\)\nMove it aside `));
});

test("a database a newer Spire wrote: the engine says so as ls does, not as an internal error", async (t) => {
  const data = tempDir(t);
  assert.equal((await spire(["ls"], { data })).code, 0);
  const file = join(data, "spire.db");
  const db = new Database(file);
  db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 0)").run();
  db.close();
  const [listed, engine] = await Promise.all([spire(["ls"], { data }), spire(ENGINE, { data })]);
  for (const result of [listed, engine]) {
    assert.equal(result.code, 1, result.stderr);
    noInternalError(result.stderr);
    assert.match(result.stderr, new RegExp(`^spire: ${file}: this database was written by a newer Spire \\(schema 999; this one knows \\d+\\): upgrade Spire\n$`));
  }
});

test("a database another program keeps locked: the file, that it is locked, and what to do; commands and the engine alike", async (t) => {
  const data = tempDir(t);
  assert.equal((await spire(["ls"], { data })).code, 0);
  const file = join(data, "spire.db");
  const holder = new Database(file);
  t.after(() => holder.close());
  holder.exec("BEGIN EXCLUSIVE");
  const [listed, engine] = await Promise.all([spire(["ls"], { data }), spire(ENGINE, { data })]);
  holder.exec("ROLLBACK");
  for (const result of [listed, engine]) {
    assert.equal(result.code, 1, result.stderr);
    noInternalError(result.stderr);
    assert.equal(
      result.stderr,
      `spire: the database ${file} is locked by another program: it did not let go of it within 5 s\nLet that program finish (a backup, or a sqlite3 shell with a transaction open), or end it, then try again.\n`,
    );
  }
  assert.equal((await spire(["ls"], { data })).code, 0, "the lock let go: it works again");
});

test("a damaged secret, and one others can read: the engine and spire token create name it and say what to do", async (t) => {
  const data = tempDir(t);
  mkdirSync(data, { recursive: true });
  const secret = join(data, "secret");
  writeFileSync(secret, "123456789", { mode: 0o600 });
  for (const args of [ENGINE, ["token", "create"]]) {
    const result = await spire(args, { data });
    assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
    noInternalError(result.stderr);
    const [said, hint] = result.stderr.split("\n");
    assert.equal(said, `spire: the engine's secret ${secret} is damaged: it holds 9 bytes, not 32`);
    assert.match(hint!, /^Delete it, and Spire makes a new one: the tokens made with the old one .* make them again with spire token create\. Engines sharing a PostgreSQL store/);
  }
  rmSync(secret);
  const made = await spire(["token", "create"], { data });
  assert.equal(made.code, 0, `deleted, a new one is made: ${made.stderr}`);

  chmodSync(secret, 0o644);
  const open = await spire(["token", "create"], { data });
  assert.equal(open.code, 1, open.stderr);
  noInternalError(open.stderr);
  assert.equal(open.stderr, `spire: ${secret} has mode 644: group or others can read it\nRun chmod 600 ${secret} (or delete it to have a new one made).\n`);
});

test("the token file gone or garbled while the engine runs: its path, and that restarting the engine writes it anew", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const file = join(data, "token");
  const kept = join(data, "token.kept");
  copyFileSync(file, kept);
  const restart = `The engine writes a new one as it starts: restart it (pid ${engine.child.pid}); or set SPIRE_TOKEN to a token it made.\n`;

  writeFileSync(file, "garbage\n");
  for (const args of [["ls"], ["ui", "--print"]]) {
    const garbled = await spire(args, { data });
    assert.equal(garbled.code, 3, garbled.stderr);
    assert.equal(garbled.stderr, `spire: the engine's token file ${file} is damaged: it holds no token\n${restart}`, args[0]);
  }
  rmSync(file);
  const gone = await spire(["ls"], { data });
  assert.equal(gone.code, 3, gone.stderr);
  assert.equal(gone.stderr, `spire: the engine at ${engine.url} answers, but its token file ${file} is not there\n${restart}`);

  const withToken = await spire(["ls"], { data, env: { SPIRE_TOKEN: readFileSync(kept, "utf8").trim() } });
  assert.equal(withToken.code, 0, `SPIRE_TOKEN instead of the file: ${withToken.stderr}`);
  renameSync(kept, file);
  assert.equal((await spire(["ls"], { data })).code, 0);

  // What the hint says to do: an engine restarted on a garbled token file writes a new one.
  writeFileSync(file, "garbage\n");
  await stopEngine(engine);
  const again = await startEngine(t, data);
  const restarted = await spire(["ls"], { data });
  assert.equal(restarted.code, 0, restarted.stderr);
  await stopEngine(again);
});

test("a retention.json that cannot be used: commands without an engine refuse to start, naming the file, what is wrong and what to do; each way out works", async (t) => {
  const data = tempDir(t);
  assert.equal((await spire(["ls"], { data })).code, 0);
  const file = join(data, "retention.json");
  const hint = `It holds the limits the last engine was started with, for commands run without one (spire run, spire gc). Start the engine with the limits you want (spire engine --keep-runs N --keep-days D, 0: no limit): it writes the file anew. Or delete the file, for the defaults (1000 runs, 90 days) until an engine starts.\n`;
  const cases: [string, string][] = [
    ['{"keep_runs": "2000", "keep_days": 30}\n', 'keep_runs is "2000", not a whole number of runs (0 or null: no limit)'],
    ['{"keep_runs": 2000, "keep_days": -1}\n', "keep_days is -1, not a number of days (0 or null: no limit)"],
    ['{"keep_run": 2000}\n', '"keep_run" is not one of its keys (keep_runs, keep_days)'],
    ["keep_runs: 2000\n", "it is not JSON ("],
    ["[2000, 30]\n", 'it holds [2000,30], not an object such as {"keep_runs": 1000, "keep_days": 90}'],
  ];
  for (const [text, problem] of cases) {
    writeFileSync(file, text);
    for (const args of [["ls"], ["gc", "--dry-run"]]) {
      const result = await spire(args, { data });
      assert.equal(result.code, 1, `${args[0]} with ${text}: ${result.stderr}`);
      noInternalError(result.stderr);
      assert.ok(result.stderr.startsWith(`spire: the retention limits in ${file} cannot be used: ${problem}`), result.stderr);
      assert.ok(result.stderr.endsWith(`\n${hint}`), result.stderr);
    }
  }
  // Written as the options are, 0 is no limit, and a limit left out is the default.
  writeFileSync(file, '{"keep_runs": 0}\n');
  assert.equal((await spire(["ls"], { data })).code, 0);
  rmSync(file);
  assert.equal((await spire(["ls"], { data })).code, 0, "deleted: the defaults");

  // An engine's limits are its options: it replaces a file it cannot use, and says so.
  writeFileSync(file, '{"keep_runs": "2000"}\n');
  const engine = await startEngine(t, data, ["--keep-runs", "300"]);
  assert.match(engine.said!(), /replaced retention\.json, which could not be used \(keep_runs is \\?"2000\\?", not a whole number of runs/);
  await stopEngine(engine);
  assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), { keep_runs: 300, keep_days: 90 });
  assert.equal((await spire(["ls"], { data })).code, 0);
});

test("an engine-id that is not an id: the engine refuses to start, naming the file and what to do, rather than become another engine in silence", async (t) => {
  const data = tempDir(t);
  const first = await startEngine(t, data);
  await stopEngine(first);
  const file = join(data, "engine-id");
  const id = readFileSync(file, "utf8").trim();
  for (const [text, held] of [[`${id}x\n`, `it holds ${JSON.stringify(`${id}x\n`)}`], ["", "it is empty"]] as const) {
    writeFileSync(file, text);
    const result = await spire(ENGINE, { data });
    assert.equal(result.code, 1, result.stderr);
    noInternalError(result.stderr);
    const [said, hint] = result.stderr.split("\n");
    assert.equal(said, `spire: the engine's id ${file} is damaged: ${held}, not an id such as 3f2b8c1e-5d4a-4e7b-9c1d-2a6f8e0b4c7d`);
    assert.match(hint!, /^It says which runs are this engine's on a PostgreSQL store shared with other engines\. Put back the id it held .* or delete the file for a new one: .* With SQLite \(the default store\) nothing else depends on it: delete it\.$/);
  }
  // Put back (in capitals, as some tools copy it), it is the same engine.
  writeFileSync(file, `${id.toUpperCase()}\n`);
  await stopEngine(await startEngine(t, data));
  rmSync(file);
  await stopEngine(await startEngine(t, data));
  assert.notEqual(readFileSync(file, "utf8").trim(), id, "deleted: a new id");
});
