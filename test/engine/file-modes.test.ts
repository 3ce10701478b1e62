/**
 * Everything Spire writes is its user's alone: after real runs (logs,
 * artifacts copied and handed down, a retried task, a retried run with its
 * kept logs, a notification), every file Spire made in the data folder is
 * 0600 and every folder 0700 — while the files the user's own programs
 * write (a task, a notification command) keep the user's umask.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { lstatSync, mkdirSync, readdirSync, writeFileSync, existsSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { until } from "../helpers/poll.js";
import { startEngine, stopEngine, waitForState } from "../helpers/engine.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";

checkNoLeftoverProcesses();

/** The test runs with the usual umask, so that "the user's umask" is visibly not Spire's. */
const USER_UMASK = 0o022;
process.umask(USER_UMASK);

const mode = (path: string) => lstatSync(path).mode & 0o777;
const octal = (bits: number) => bits.toString(8).padStart(4, "0");

/** Every file and folder under `root` (not following links), with its mode. */
function walk(root: string): { path: string; kind: "file" | "dir" | "socket" | "link"; mode: number }[] {
  const found: { path: string; kind: "file" | "dir" | "socket" | "link"; mode: number }[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isSymbolicLink()) found.push({ path, kind: "link", mode: mode(path) });
    else if (entry.isDirectory()) found.push({ path, kind: "dir", mode: mode(path) }, ...walk(path));
    else found.push({ path, kind: entry.isSocket() ? "socket" : "file", mode: mode(path) });
  }
  return found;
}

/** Asserts every file 0600 and folder 0700, but for `theirs` (files users' programs wrote); returns what was checked. */
function assertPrivate(data: string, theirs: Set<string>): string[] {
  const wrong: string[] = [];
  const checked: string[] = [];
  for (const entry of walk(data)) {
    const name = relative(data, entry.path);
    if (entry.kind === "link" || theirs.has(name)) continue;
    checked.push(name);
    const want = entry.kind === "dir" ? 0o700 : 0o600;
    if (entry.mode !== want) wrong.push(`${octal(entry.mode)} ${entry.kind} ${name} (want ${octal(want)})`);
  }
  assert.deepEqual(wrong, [], "files and folders Spire made that others could reach");
  return checked;
}

const PIPELINE = (work: string, marker: string) => `
namespace: modes
pipelines:
  build:
    notify:
      - on: [failure]
        run: echo failed > notified.txt
    tasks:
      make:
        cwd: ${work}
        run: |
          echo "to stdout"; echo "to stderr" >&2
          echo built > out.txt
          echo mine > "$SPIRE_ARTIFACTS/direct.txt"
          echo "size=5" >> "$SPIRE_OUTPUT"
        artifacts: ["*.txt"]
      flaky:
        needs: [make]
        retries: { max: 1, backoff: 10ms }
        run: 'echo "try $SPIRE_ATTEMPT"; [ "$SPIRE_ATTEMPT" = 2 ]'
      fixed-later:
        needs: [make]
        run: 'if [ -e "${marker}" ]; then echo fixed; else echo broken; exit 1; fi'
`;

test("after runs, a retried task and a retried run on a real engine, every file Spire made is 0600 and every folder 0700; tasks' own files keep the user's umask", async (t) => {
  const data = join(tempDir(t), "data");
  const work = tempDir(t, "spire-work-");
  const marker = join(work, "marker");
  const file = join(work, "spire.yaml");
  writeFileSync(file, PIPELINE(work, marker));
  const engine = await startEngine(t, data, ["-f", file]);

  const first = await spire(["run", "modes/build", "--json"], { data });
  assert.equal(first.code, 1, first.stderr);
  const failed = JSON.parse(first.stdout) as { id: string; tasks: { path: string; attempts: number }[] };
  assert.equal(failed.tasks.find((task) => task.path === "flaky")?.attempts, 2, "flaky was retried");
  writeFileSync(marker, "");
  const retried = await spire(["retry", failed.id, "--detach"], { data });
  assert.equal(retried.code, 0, retried.stderr);
  await waitForState(data, retried.stdout.trim(), "succeeded");
  await until(() => existsSync(join(work, "notified.txt")), "the failure notification's file");
  await stopEngine(engine);

  const runs = readdirSync(join(data, "runs"));
  assert.equal(runs.length, 2);
  // What the task wrote into $SPIRE_ARTIFACTS is its own (and reached through 0700 folders only).
  const theirs = new Set(runs.map((run) => join("runs", run, "artifacts", "make", "direct.txt")));
  const checked = assertPrivate(data, theirs);
  for (const expected of ["spire.db", "spire.db-wal", "spire.db-shm", "secret", "token", "retention.json", "supervisor.log", "supervisor.sock.pid"]) {
    assert.ok(checked.includes(expected) || !existsSync(join(data, expected)), expected);
  }
  assert.ok(existsSync(join(data, "spire.db")));
  for (const run of runs) {
    assert.ok(checked.includes(join("runs", run, "tasks", "make.1.log")), "the task's log");
    assert.ok(checked.includes(join("runs", run, "artifacts", "make", "out.txt")), "the artifact copied from its folder");
  }
  assert.ok(checked.includes(join("runs", failed.id, "tasks", "flaky.2.log")), "the retried attempt's log");
  for (const name of theirs) assert.equal(mode(join(data, name)), 0o666 & ~USER_UMASK, `${name}: written by the task`);
  assert.equal(mode(join(work, "out.txt")), 0o666 & ~USER_UMASK, "a task's file in its cwd keeps the user's umask");
  assert.equal(mode(join(work, "notified.txt")), 0o666 & ~USER_UMASK, "so does a notification command's");
});

test("spire run in-process (no engine) keeps the data folder private too, and the task's own files keep the user's umask", async (t) => {
  const data = join(tempDir(t), "data");
  const work = tempDir(t, "spire-work-");
  writeFileSync(join(work, "spire.yaml"), `pipelines:\n  one:\n    tasks:\n      a: { run: 'echo hi; echo made > made.txt', artifacts: ["made.txt"] }\n`);
  const result = await spire(["run", "-f", "spire.yaml", "one"], { data, cwd: work });
  assert.equal(result.code, 0, result.stderr);
  const checked = assertPrivate(data, new Set());
  assert.ok(checked.some((name) => name.endsWith(join("tasks", "a.1.log"))));
  assert.ok(checked.some((name) => name.endsWith(join("artifacts", "a", "made.txt"))));
  assert.equal(mode(join(work, "made.txt")), 0o666 & ~USER_UMASK);
});

test("the store makes its database 0600 before SQLite opens it (so are -wal and -shm), and makes an older 0644 one private", async (t) => {
  const dir = tempDir(t);
  const fresh = join(dir, "new", "spire.db");
  const store = openSqliteStore(fresh);
  await store.init();
  await store.appendAudit({ ts: 1, actor: "t", action: "a", target: "x", details: {} });
  for (const name of ["spire.db", "spire.db-wal", "spire.db-shm"]) assert.equal(mode(join(dir, "new", name)), 0o600, name);
  assert.equal(mode(join(dir, "new")), 0o700);
  await store.close();

  const old = join(dir, "old");
  mkdirSync(old, { mode: 0o755 });
  for (const name of ["spire.db", "spire.db-wal", "spire.db-shm"]) writeFileSync(join(old, name), "", { mode: 0o644 });
  const reopened = openSqliteStore(join(old, "spire.db"));
  await reopened.init();
  for (const name of ["spire.db", "spire.db-wal", "spire.db-shm"]) assert.equal(statSync(join(old, name)).mode & 0o777, 0o600, name);
  await reopened.close();
});
