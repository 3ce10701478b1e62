/**
 * Every command reaches Spire one way: the engine it targets, or (none
 * running) an engine in its own process over the data folder. A command
 * never reads one Spire and changes another, and never falls back to a
 * local file when an engine was named.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire, REPO_ROOT } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";
import { freePort, listen } from "../notify/helpers.js";

checkNoLeftoverProcesses();

const TWO_TASKS = `namespace: far
pipelines:
  backup:
    tasks:
      dump: { run: 'echo dumped; echo "::warning::disk at 91%"' }
      check: { needs: [dump], run: echo checked }
  other:
    tasks:
      only: { run: echo other }
`;

test("with --engine or SPIRE_ENGINE, runs, show, logs, ls and run all answer from that engine and never make a local database", async (t) => {
  const dir = tempDir(t);
  const far = join(dir, "far");
  const near = join(dir, "near");
  const engine = await startEngine(t, far);
  const file = pipelineFile(dir, TWO_TASKS);
  // The far engine's own token, as a person on another machine would have it.
  const token = readFileSync(join(far, "token"), "utf8").trim();
  const env = { SPIRE_ENGINE: engine.url, SPIRE_TOKEN: token };

  const run = await spire(["run", "-f", file, "backup", "--json"], { data: near, env });
  assert.equal(run.code, 0, run.stderr);
  const id = JSON.parse(run.stdout).id as string;

  const runs = await spire(["runs", "--json"], { data: near, env });
  assert.equal(runs.code, 0, runs.stderr);
  assert.deepEqual(JSON.parse(runs.stdout).map((r: { id: string }) => r.id), [id]);
  const show = await spire(["show", "last"], { data: near, env });
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`far/backup  ${id}`));
  assert.match(show.stdout, /✓ dump .*1 warning\n\s+⚠ disk at 91%\n/, "the warning's text, not only its count");
  const logs = await spire(["logs", id.slice(0, 10), "dump"], { data: near, env });
  assert.equal(logs.code, 0, logs.stderr);
  assert.equal(logs.stdout, "dumped\n::warning::disk at 91%\n");
  const ls = await spire(["--engine", engine.url, "ls", "--json"], { data: near, env: { SPIRE_TOKEN: token } });
  assert.deepEqual(JSON.parse(ls.stdout).map((p: { name: string }) => p.name).sort(), ["backup", "other"]);

  // Nothing was read from, or made in, the local data folder.
  assert.equal(existsSync(join(near, "spire.db")), false, `made locally: ${existsSync(near) ? readdirSync(near).join(", ") : ""}`);
  await stopEngine(engine);
});

test("a named engine that does not answer is exit 3, never a silent local answer", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  // Local history exists: a fallback would find it.
  const file = pipelineFile(dir, TWO_TASKS);
  assert.equal((await spire(["run", "-f", file, "other"], { data })).code, 0);
  const nowhere = `http://127.0.0.1:${await freePort()}`;
  for (const args of [["runs"], ["show", "last"], ["logs", "last"], ["ls"], ["run", "other"], ["cancel", "last"], ["gc"]]) {
    const result = await spire(args, { data, env: { SPIRE_ENGINE: nowhere } });
    assert.equal(result.code, 3, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, new RegExp(`cannot reach the engine at ${nowhere.replace(/\./g, "\\.")}`), args.join(" "));
    assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
  }
});

test("SPIRE_ENGINE set to the local engine's own address keeps the local admin token", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const port = new URL(engine.url).port;
  // The same engine, named three ways.
  for (const url of [engine.url, `http://localhost:${port}`, `http://127.0.0.1:${port}/`]) {
    const result = await spire(["token", "list", "--json"], { data, env: { SPIRE_ENGINE: url } });
    assert.equal(result.code, 0, `${url}: ${result.stderr}`);
    assert.ok(JSON.parse(result.stdout).some((token: { name: string }) => token.name === "local"));
  }
  // Another engine (another port) gets no local token: refused, exit 3.
  const other = await startEngine(t, tempDir(t));
  const refused = await spire(["token", "list"], { data, env: { SPIRE_ENGINE: other.url } });
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /refused the token/);
  await Promise.all([stopEngine(engine), stopEngine(other)]);
});

test("with no engine, every command works on the data folder through an engine in its own process", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const file = pipelineFile(dir, TWO_TASKS);
  const applied = await spire(["apply", "-f", file], { data });
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /no engine is running: kept in the data folder/);
  const ls = await spire(["ls", "--json"], { data });
  assert.deepEqual(JSON.parse(ls.stdout).map((p: { name: string }) => p.name).sort(), ["backup", "other"]);
  // A pipeline applied earlier runs by name, in this process.
  const run = await spire(["run", "backup", "--json"], { data, cwd: data });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).state, "succeeded");
  assert.equal((await spire(["run", "other"], { data, cwd: data })).code, 0);

  // `last PIPELINE`: the newest run of that pipeline, not the newest run.
  const show = await spire(["show", "last", "backup"], { data });
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /far\/backup/);
  assert.match(show.stdout, /⚠ disk at 91%/);
  const logs = await spire(["logs", "last", "backup", "check"], { data });
  assert.equal(logs.stdout, "checked\n");
  const both = await spire(["logs", "last", "backup"], { data });
  assert.equal(both.stdout, "dump dumped\ndump ::warning::disk at 91%\ncheck checked\n");
  const newest = await spire(["logs", "last"], { data });
  assert.equal(newest.stdout, "only other\n");

  const tokens = await spire(["token", "create", "--scope", "read", "--name", "ci"], { data });
  assert.equal(tokens.code, 0, tokens.stderr);
  assert.match(tokens.stdout, /^ey[\w-]+\.[\w-]+\.[\w-]+\n$/);
  const audit = await spire(["audit", "--json"], { data });
  assert.ok(JSON.parse(audit.stdout).some((entry: { action: string }) => entry.action === "run.start"));
  const hook = await spire(["hook", "backup", "--json"], { data });
  assert.equal(hook.code, 0, hook.stderr);
  assert.match(JSON.parse(hook.stdout).url, /^http:\/\/127\.0\.0\.1:7431\/api\/v1\/hooks\/far\/backup$/);
  const paused = await spire(["pause", "backup", "--reason", "the NAS is away"], { data });
  assert.equal(paused.code, 0, paused.stderr);
  const listed = JSON.parse((await spire(["ls", "--json"], { data })).stdout).find((p: { name: string }) => p.name === "backup");
  assert.deepEqual([listed.paused, listed.paused_reason], [true, "the NAS is away"], "the reason goes with the pause (the web UI's Copy as CLI gives it so)");
});

test("a misspelt pipeline or run gets a did-you-mean, and last PIPELINE of a pipeline without runs says so", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  assert.equal((await spire(["apply", "-f", pipelineFile(dir, TWO_TASKS)], { data })).code, 0);
  for (const args of [["run", "backpu"], ["pause", "bakcup"], ["show", "last", "backpu"], ["runs", "backpu"], ["logs", "last", "backpu", "dump"], ["cancel", "last", "backpu"]]) {
    const result = await spire(args, { data });
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, /no pipeline named (backpu|bakcup)\nDid you mean backup\?/, args.join(" "));
  }
  const none = await spire(["show", "last", "backup"], { data });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /far\/backup has no runs yet\nStart one with: spire run far\/backup/);
});

test("spire run -f without an engine sends the failure notification, as the engine would", async (t) => {
  const dir = tempDir(t);
  const hook = await listen(t);
  const file = join(dir, "backup.yaml");
  writeFileSync(
    file,
    `pipelines:
  backup:
    notify:
      - on: [failure]
        webhook: ${hook.url}
    tasks:
      dump: { run: 'echo "disk full" >&2; exit 4' }
`,
  );
  // As crontab would call it: no terminal, no engine.
  const result = await spire(["run", "-f", file], { data: join(dir, "data") });
  assert.equal(result.code, 1, result.stderr);
  assert.equal(hook.received.length, 1, "one failure webhook, delivered before spire returned");
  assert.equal(hook.received[0]!.body.event, "failure");
  assert.equal(hook.received[0]!.body.run?.state, "failed");
});

test("an undeliverable notification of a run in this process is said on stderr, and the run's result stands", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "backup.yaml");
  writeFileSync(file, `pipelines:\n  backup:\n    notify:\n      - on: [success]\n        webhook: { url: "http://127.0.0.1:${await freePort()}/hook", retries: 0 }\n    tasks:\n      dump: { run: "true" }\n`);
  const result = await spire(["run", "-f", file], { data: join(dir, "data") });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /spire: .*notif/i);
});

test("src/cli reaches the store, the executor and the engine only through the client (connect.ts)", () => {
  // The class of bug where one command read a local file while another reached the engine: no command may open a store itself.
  const root = join(REPO_ROOT, "src", "cli");
  const offenders: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      // connect.ts is that way; engine-start.ts puts the engine itself together (spire engine, startEngine()).
      else if (entry.name.endsWith(".ts") && entry.name !== "connect.ts" && entry.name !== "engine-start.ts") {
        const text = readFileSync(path, "utf8");
        for (const forbidden of ["store/sqlite", "client/in-process", "exec/local-executor", "engine/engine.js", "engine/run-controller.js\"", "engine/start-run"]) {
          if (new RegExp(`^import (?!type )[^;]*${forbidden.replace(/[./]/g, "\\$&")}`, "m").test(text)) offenders.push(`${path.slice(REPO_ROOT.length)}: ${forbidden}`);
        }
      }
    }
  };
  walk(root);
  assert.deepEqual(offenders, []);
});
