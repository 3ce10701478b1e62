/**
 * Resource requests and counted task locks, enforced with real processes:
 * tasks asking for all cpus take turns, a lock of capacity 2 never has three
 * holders across runs, a request beyond the engine's capacity fails at once,
 * and Gator's !Cores is reserved like `resources.cpus`.
 */
import { LocalLogs } from "../../src/logs/local-logs.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { RunController } from "../../src/engine/runs/run-controller.js";
import { createRun } from "../../src/engine/runs/start-run.js";
import { Slots } from "../../src/engine/resources/slots.js";
import { engineCapacity } from "../../src/engine/resources/reservations.js";
import { spireFileSchema } from "../../src/definitions/schema.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { openTestStore } from "../helpers/sqlite-store.js";

checkNoLeftoverProcesses();

/** Each task appends `+name` when it starts and `-name` before it ends (O_APPEND writes this small are atomic). */
const marks = (ledger: string, name: string) => `echo +${name} >> "${ledger}"; sleep 0.3; echo -${name} >> "${ledger}"`;

/** Who was running alongside whom, as the processes saw it: for each task, the others running at some moment of its life. */
function overlaps(ledger: string): { max: number; alongside: Map<string, Set<string>> } {
  const running = new Set<string>();
  const alongside = new Map<string, Set<string>>();
  let max = 0;
  for (const line of readFileSync(ledger, "utf8").trim().split("\n")) {
    const name = line.slice(1);
    if (line.startsWith("-")) {
      running.delete(name);
      continue;
    }
    running.add(name);
    max = Math.max(max, running.size);
    for (const other of running) {
      if (!alongside.has(other)) alongside.set(other, new Set());
      for (const another of running) if (another !== other) alongside.get(other)!.add(another);
    }
  }
  return { max, alongside };
}

async function runFile(t: import("node:test").TestContext, yaml: string, extra: string[]) {
  const dir = tempDir(t);
  const file = join(dir, "spire.yaml");
  writeFileSync(file, yaml);
  const result = await spire(["run", "-f", file, "--json", ...extra], { data: join(dir, "data") });
  assert.ok(result.stdout.trim().startsWith("{"), result.stdout + result.stderr);
  return { code: result.code, run: JSON.parse(result.stdout) as { state: string; errors: number; tasks: { path: string; state: string; reason: string | null; attempts: number; errors: number }[] } };
}

test("two tasks that each ask for all cpus run one after the other, while two small ones run together", async (t) => {
  const ledger = join(tempDir(t), "ledger");
  const { code, run } = await runFile(
    t,
    `pipelines:
  p:
    tasks:
      big1: { run: '${marks(ledger, "big1")}', resources: { cpus: 2 } }
      big2: { run: '${marks(ledger, "big2")}', resources: { cpus: 2, memory: 1MiB } }
      small1: { run: '${marks(ledger, "small1")}', resources: { cpus: 1 } }
      small2: { run: '${marks(ledger, "small2")}', resources: { cpus: 1 } }
`,
    ["--cpus", "2", "--parallelism", "4"],
  );
  assert.equal(code, 0, JSON.stringify(run));
  const { alongside } = overlaps(ledger);
  assert.deepEqual([...(alongside.get("big1") ?? [])], [], "nothing ran beside big1");
  assert.deepEqual([...(alongside.get("big2") ?? [])], [], "nothing ran beside big2");
  assert.deepEqual([...(alongside.get("small1") ?? [])], ["small2"], "the small ones ran together");
});

test("a lock of capacity 2 shared by five tasks across two runs never has three holders", async (t) => {
  const dir = tempDir(t);
  const ledger = join(dir, "ledger");
  const store = await openTestStore(t, dir);
  const executor = new LocalExecutor();
  t.after(() => executor.shutdown());
  const file = spireFileSchema.parse({
    locks: { license: 2 },
    pipelines: {
      a: { tasks: { a1: { run: marks(ledger, "a1"), locks: ["license"] }, a2: { run: marks(ledger, "a2"), locks: ["license"] }, a3: { run: marks(ledger, "a3"), locks: ["license"] } } },
      b: { tasks: { b1: { run: marks(ledger, "b1"), locks: ["license"] }, b2: { run: marks(ledger, "b2"), locks: [{ name: "license", count: 1 }] } } },
    },
  });
  const slots = new Slots(8, { resources: engineCapacity({ cpus: 8 }) });
  const runs = await Promise.all(
    (["a", "b"] as const).map(async (name) => {
      const prepared = await createRun(store, { namespace: "test", pipelineName: name, pipeline: file.pipelines[name]!, args: {}, trigger: { kind: "manual", scheduled_at: null }, baseDir: dir, secretSource: {} });
      prepared.lockCapacities = file.locks;
      return new RunController({ store, executor, logs: new LocalLogs(), dataDir: dir, slots, nodePath: process.execPath, baseEnv: process.env }, prepared).start();
    }),
  );
  assert.deepEqual(runs.map((row) => row.state), ["succeeded", "succeeded"]);
  const { max, alongside } = overlaps(ledger);
  assert.equal(max, 2, "two holders at once, never three");
  assert.equal(alongside.size, 5, "all five held it");
  assert.equal(slots.locks.holders("license"), 0, "every unit was given back");
  assert.equal(slots.inUse, 0);
});

test("a task asking for more than the engine has fails at once, saying why", async (t) => {
  const started = Date.now();
  const { code, run } = await runFile(
    t,
    `locks: { seats: 2 }
pipelines:
  p:
    tasks:
      huge: { run: 'true', resources: { cpus: 8 } }
      greedy: { run: 'true', locks: [{ name: seats, count: 3 }] }
      fine: { run: 'true', resources: { cpus: 1, memory: 1MiB }, locks: [{ name: seats, count: 2 }] }
`,
    ["--cpus", "2"],
  );
  assert.equal(code, 1);
  const byPath = new Map(run.tasks.map((task) => [task.path, task]));
  assert.equal(byPath.get("huge")!.state, "failed");
  assert.match(byPath.get("huge")!.reason ?? "", /asks for 8 cpus; this engine has 2 \(--cpus\)/);
  // Errors count what a task printed (::error::, error_pattern); one that never started printed nothing, and its reason says why.
  assert.equal(byPath.get("huge")!.errors, 0, "no error line is counted that spire show could not list");
  assert.equal(run.errors, 0);
  assert.equal(byPath.get("greedy")!.state, "failed");
  assert.match(byPath.get("greedy")!.reason ?? "", /3 units of lock seats, whose capacity is 2/);
  assert.equal(byPath.get("fine")!.state, "succeeded");
  assert.ok(Date.now() - started < 30_000, "it did not wait for what can never come");
});

test("a task too big for the engine is not retried: no attempt could ever start", async (t) => {
  const { code, run } = await runFile(
    t,
    `pipelines:
  p:
    tasks:
      huge: { run: 'true', resources: { cpus: 8 }, retries: { max: 3, backoff: 10ms } }
`,
    ["--cpus", "2"],
  );
  assert.equal(code, 1);
  const huge = run.tasks.find((task) => task.path === "huge")!;
  assert.equal(huge.state, "failed");
  assert.equal(huge.attempts, 1, "one attempt, refused; none retried");
  assert.match(huge.reason ?? "", /asks for 8 cpus; this engine has 2 \(--cpus\)/);
});

test("--cpus and --memory that are not amounts are usage errors", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "spire.yaml");
  writeFileSync(file, "pipelines:\n  p:\n    tasks:\n      t: { run: 'true' }\n");
  const cpus = await spire(["run", "-f", file, "--cpus", "lots"], { data: join(dir, "data") });
  assert.equal(cpus.code, 2);
  assert.match(cpus.stderr, /--cpus must be a number above 0, got "lots"/);
  const memory = await spire(["run", "-f", file, "--memory", "0"], { data: join(dir, "data") });
  assert.equal(memory.code, 2);
  assert.match(memory.stderr, /--memory must be a size above 0/);
});

test("Gator's !Cores is reserved: two jobs asking for all cores take turns", async (t) => {
  const dir = tempDir(t);
  const ledger = join(dir, "ledger");
  const job = (name: string) => [
    "    - !Job",
    `      ident: ${name}`,
    "      command: sh",
    `      args: [-c, 'echo +${name} >> ${ledger}; sleep 0.3; echo -${name} >> ${ledger}']`,
    "      resources:",
    "        - !Cores [2]",
    "",
  ].join("\n");
  const file = join(dir, "jobs.yaml");
  writeFileSync(file, `!JobGroup\n  ident: cores\n  jobs:\n${job("one")}${job("two")}`);
  const result = await spire(["run", "-f", file, "--json", "--cpus", "2"], { data: join(dir, "data") });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(overlaps(ledger).max, 1);
  const alone = await spire(["run", "-f", file, "--json", "--cpus", "1"], { data: join(dir, "data") });
  assert.equal(alone.code, 1);
  assert.match(alone.stdout, /asks for 2 cpus; this engine has 1 \(--cpus\)/);
});
