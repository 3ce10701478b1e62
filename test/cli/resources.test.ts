/**
 * CPU and peak memory through the real program: `spire run` records them
 * per task and rolls them up to the run, `spire show` prints both, limits
 * end tasks with their reason, and a result the supervisor wrote while the
 * engine was down keeps its figures.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine, waitForState } from "../helpers/engine.js";

checkNoLeftoverProcesses();

const MiB = 1024 * 1024;

interface ShownTask {
  path: string;
  state: string;
  reason: string | null;
  cpu_ms: number | null;
  peak_rss_bytes: number | null;
  outputs: Record<string, string>;
}

interface ShownRun {
  state: string;
  cpu_ms: number | null;
  peak_rss_bytes: number | null;
  tasks: ShownTask[];
}

/** Burns 50 ms of CPU, then says how much CPU it used in all (getrusage). */
const BUSY_50MS = `const used = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const from = used(); while (used() - from < 50);
console.log("::output::cpu_ms=" + used());`;

test("spire run: CPU and peak memory per task, rolled up to the run; a memory limit ends a task with its reason", async (t) => {
  const data = tempDir(t);
  const file = pipelineFile(
    data,
    `pipelines:
  usage:
    tasks:
      big:
        python: |
          import time
          b = bytearray(200 * 1024 * 1024)
          for i in range(0, len(b), 4096): b[i] = 1
          time.sleep(0.3)
      busy:
        node: ${JSON.stringify(BUSY_50MS)}
      greedy:
        limits: { memory: 64MiB }
        python: |
          import time
          keep = []
          for _ in range(50):
              b = bytearray(10 * 1024 * 1024)
              for i in range(0, len(b), 4096): b[i] = 1
              keep.append(b)
              time.sleep(0.02)
`,
  );
  const result = await spire(["run", "-f", file, "--json"], { data });
  assert.equal(result.code, 1, "the run fails: greedy went over its limit");
  const run = JSON.parse(result.stdout) as ShownRun;
  const task = (path: string) => run.tasks.find((shown) => shown.path === path)!;

  assert.ok((task("big").peak_rss_bytes ?? 0) >= 200 * MiB, `big: peak ${task("big").peak_rss_bytes}`);
  const busy = task("busy");
  // The kernel hands a reaped child's figure over as user and system time in
  // 10 ms ticks, each cut down on every read: the difference of two reads can
  // fall short by up to two ticks.
  assert.ok((busy.cpu_ms ?? 0) > Number(busy.outputs.cpu_ms) - 20, `busy: ${busy.cpu_ms} ms recorded, it says ${busy.outputs.cpu_ms} ms`);
  const greedy = task("greedy");
  assert.equal(greedy.state, "failed");
  assert.match(greedy.reason ?? "", /^memory limit 64 MiB exceeded \(peak \d+(\.\d)? MiB\)$/);

  const cpus = run.tasks.map((shown) => shown.cpu_ms ?? 0);
  assert.equal(run.cpu_ms, cpus.reduce((sum, cpu) => sum + cpu, 0), "the run's CPU is its tasks' sum");
  assert.equal(run.peak_rss_bytes, Math.max(...run.tasks.map((shown) => shown.peak_rss_bytes ?? 0)), "the run's peak is its highest task's");

  const text = (await spire(["show", "last"], { data })).stdout;
  assert.match(text, /^cpu \S+ \(all attempts\) · peak mem \d+(\.\d)? ?MiB$/m);
  assert.match(text, /✗ greedy .*cpu \S+ · mem \d/);
  assert.match(text, /memory limit 64 MiB exceeded/);
});

test("through the engine: a result written by the supervisor while the engine was down keeps its figures", async (t) => {
  const data = tempDir(t);
  const gate = join(data, "gate");
  const started = join(data, "started");
  const wait = `require("fs").writeFileSync(${JSON.stringify(started)}, ""); while (!require("fs").existsSync(${JSON.stringify(gate)})) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);`;
  const body = `namespace: r
pipelines:
  gated:
    tasks:
      work:
        node: ${JSON.stringify(`${wait}\n${BUSY_50MS}`)}
`;
  const engine = await startEngine(t, data);
  assert.equal((await spire(["apply", "-f", pipelineFile(data, body)], { data })).code, 0);
  const run = await spire(["run", "gated", "--detach"], { data });
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  await until(() => existsSync(started), "the task to start");
  engine.child.kill("SIGKILL");
  await engine.exit;

  writeFileSync(gate, "");
  const records = join(data, "runs", id, "tasks", "work.1.records");
  await until(() => existsSync(records) && readFileSync(records, "utf8").includes('{"result":'), "the supervisor to record the result");

  const restarted = await startEngine(t, data);
  const shown = (await waitForState(data, id, "succeeded")) as unknown as ShownRun;
  assert.equal(shown.state, "succeeded");
  const work = shown.tasks[0]!;
  // Two reads of 10 ms ticks (user and system): up to two ticks short, as above.
  assert.ok((work.cpu_ms ?? 0) > Number(work.outputs.cpu_ms) - 20, `${work.cpu_ms} ms recorded, the task says ${work.outputs.cpu_ms} ms`);
  assert.ok((work.peak_rss_bytes ?? 0) > MiB, `peak ${work.peak_rss_bytes}`);
  assert.equal(shown.cpu_ms, work.cpu_ms);
  await stopEngine(restarted);
});
