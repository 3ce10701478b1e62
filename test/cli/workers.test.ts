/**
 * `spire workers` through the real program against a real engine: the
 * engine's own machine with its labels, what its running tasks hold, and
 * --json; `spire token create --scope worker` and what such a token may not
 * do; `spire show` naming the worker a task ran on.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { VERSION } from "../../src/version.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine, waitForState } from "../helpers/engine.js";

checkNoLeftoverProcesses();

const MiB = 1024 * 1024;

interface ShownWorker {
  name: string;
  labels: string[];
  local: boolean;
  state: string;
  version: string | null;
  host: string | null;
  address: string | null;
  capacity: { tasks: number; cpus: number; memory_bytes: number };
  in_use: { tasks: number; cpus: number; memory_bytes: number };
  last_seen: string | null;
  connected_since: string | null;
}

test("spire workers: the engine's own machine, its labels, the tasks and resources in use of its capacity; --json", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data, ["--parallelism", "3", "--cpus", "4", "--memory", "2GiB"]);
  const started = join(data, "started");
  const go = join(data, "go");
  const file = pipelineFile(
    data,
    `pipelines:
  hold:
    tasks:
      job:
        resources: { cpus: 1.5, memory: 512MiB }
        run: 'touch "${started}"; while [ ! -e "${go}" ]; do sleep 0.05; done'
`,
  );
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);
  const id = (await spire(["run", "hold", "--detach"], { data })).stdout.trim();
  await until(() => existsSync(started), "the task to start");

  const host = hostname();
  const listed = await spire(["workers"], { data });
  assert.equal(listed.code, 0, listed.stderr);
  const [header, row, ...rest] = listed.stdout.trimEnd().split("\n");
  assert.deepEqual(header!.split(/\s{2,}/), ["NAME", "STATE", "LABELS", "TASKS", "CPUS", "MEMORY", "VERSION", "LAST SEEN"]);
  assert.deepEqual(row!.split(/\s{2,}/), [host, "connected", `local,${host}`, "1/3", "1.5/4", "512.0MiB/2.0GiB", VERSION, "now"]);
  assert.deepEqual(rest, [], "one machine, and no note: an engine answered");

  const json = await spire(["workers", "--json"], { data });
  assert.equal(json.code, 0, json.stderr);
  const [local, ...others] = JSON.parse(json.stdout) as ShownWorker[];
  assert.deepEqual(others, []);
  const { last_seen, connected_since, ...fixed } = local!;
  assert.deepEqual(fixed, {
    name: host,
    labels: ["local", host],
    local: true,
    state: "connected",
    version: VERSION,
    host,
    address: null,
    capacity: { tasks: 3, cpus: 4, memory_bytes: 2048 * MiB },
    in_use: { tasks: 1, cpus: 1.5, memory_bytes: 512 * MiB },
  });
  assert.ok(Date.parse(connected_since!) <= Date.parse(last_seen!), `connected since ${connected_since}, before it was last seen (${last_seen})`);

  writeFileSync(go, "");
  assert.equal((await waitForState(data, id, "succeeded")).state, "succeeded");
  const after = JSON.parse((await spire(["workers", "--json"], { data })).stdout) as ShownWorker[];
  assert.deepEqual(after[0]!.in_use, { tasks: 0, cpus: 0, memory_bytes: 0 }, "a finished task gives back what it held");
  await stopEngine(engine);
});

test("spire workers with no engine running: this machine, and a note that workers connect to an engine", async (t) => {
  const data = tempDir(t);
  const listed = await spire(["workers"], { data });
  assert.equal(listed.code, 0, listed.stderr);
  const lines = listed.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 3);
  assert.equal(lines[1]!.split(/\s{2,}/)[0], hostname());
  assert.equal(lines[2], "no engine is running: this is only this machine; workers connect to an engine (spire engine)");
  const json = JSON.parse((await spire(["workers", "--json"], { data })).stdout) as ShownWorker[];
  assert.deepEqual(json.map((worker) => [worker.name, worker.local]), [[hostname(), true]], "--json is only the JSON");
});

test("spire token create --scope worker: listed with its scope; the CLI's own commands refuse it, saying why", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data);
  const created = await spire(["token", "create", "--scope", "worker", "--name", "gpu-box"], { data });
  assert.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, "only the token is printed");
  const tokens = JSON.parse((await spire(["token", "list", "--json"], { data })).stdout) as { name: string; scope: string }[];
  assert.equal(tokens.find((entry) => entry.name === "gpu-box")?.scope, "worker");

  for (const command of [["runs"], ["workers"]]) {
    const refused = await spire(command, { data, env: { SPIRE_TOKEN: token } });
    assert.notEqual(refused.code, 0, `spire ${command.join(" ")} with a worker token`);
    assert.match(refused.stderr, /this token \(gpu-box\) has the worker scope, which only lets a worker run tasks; this needs a token with the read scope/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /, "no stack trace");
  }

  const unknown = await spire(["token", "create", "--scope", "workers"], { data });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Allowed choices are read, run, admin, worker/);
  await stopEngine(engine);
});

test("spire show names the machine each task's last attempt ran on when the run used another than this one, and --json always has it", async (t) => {
  const data = tempDir(t);
  const file = pipelineFile(data, `pipelines:\n  two:\n    tasks:\n      here: { run: "true" }\n      there: { run: "true" }\n`);
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);
  const run = await spire(["run", "two", "--json"], { data });
  assert.equal(run.code, 0, run.stderr);
  const id = (JSON.parse(run.stdout) as { id: string }).id;
  const alone = await spire(["show", id], { data });
  assert.doesNotMatch(alone.stdout, / on /, "a run that stayed on this machine says nothing of where it ran");
  // As if "there" had run on a worker (test/workers runs real ones).
  const db = new Database(join(data, "spire.db"));
  db.prepare("UPDATE task_runs SET worker = 'gpu-box' WHERE run_id = ? AND path = 'there'").run(id);
  db.close();

  const shown = await spire(["show", id], { data });
  assert.equal(shown.code, 0, shown.stderr);
  const line = (name: string) => shown.stdout.split("\n").find((text) => text.includes(` ${name} `) || text.endsWith(` ${name}`)) ?? "";
  assert.match(line("there"), /· on gpu-box( ·|$)/);
  assert.match(line("here"), new RegExp(`· on ${hostname()}( ·|$)`));
  const json = JSON.parse((await spire(["show", id, "--json"], { data })).stdout) as { tasks: { path: string; worker: string | null }[] };
  assert.deepEqual(json.tasks.map((task) => [task.path, task.worker]), [["here", hostname()], ["there", "gpu-box"]]);
});
