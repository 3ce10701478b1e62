/**
 * SPIRE_SEED (Gator's random seeding) through the real `spire`: every attempt
 * of every task of a run sees the run's seed; `--seed N` gives N; `spire
 * retry` keeps it so a failure replays; runs get different seeds; `spire
 * show` and the run's JSON say it; the API takes it when a run is started.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { startEngine, stopEngine } from "../helpers/engine.js";

checkNoLeftoverProcesses();

// Each attempt writes "TASK ATTEMPT SEED"; `flaky` fails its first attempt, `gate` fails while ./fail exists.
const PIPELINE = `pipelines:
  draw:
    tasks:
      flaky:
        run: echo "flaky $SPIRE_ATTEMPT $SPIRE_SEED" >> seen.txt; [ "$SPIRE_ATTEMPT" -ge 2 ]
        retries: { max: 1, backoff: 10ms }
      steady:
        run: echo "steady $SPIRE_ATTEMPT $SPIRE_SEED" >> seen.txt
      gate:
        needs: [flaky, steady]
        run: echo "gate $SPIRE_ATTEMPT $SPIRE_SEED" >> seen.txt; [ ! -e fail ]
`;

interface Run {
  id: string;
  state: string;
  seed: number;
}

function seen(dir: string): string[][] {
  const text = readFileSync(join(dir, "seen.txt"), "utf8");
  rmSync(join(dir, "seen.txt"));
  return text.trim().split("\n").map((line) => line.split(" "));
}

test("every attempt of every task sees the run's seed; --seed N gives N; a retry keeps it; runs differ; show prints it", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  writeFileSync(join(dir, "spire.yaml"), PIPELINE);
  const first = await spire(["run", "-f", "spire.yaml", "--json"], { data, cwd: dir });
  assert.equal(first.code, 0, first.stderr);
  const run = JSON.parse(first.stdout) as Run;
  assert.ok(Number.isInteger(run.seed) && run.seed >= 0 && run.seed <= 2147483647, String(run.seed));
  const lines = seen(dir);
  assert.deepEqual(lines.map(([task, attempt]) => `${task} ${attempt}`).sort(), ["flaky 1", "flaky 2", "gate 1", "steady 1"]);
  assert.deepEqual(new Set(lines.map(([, , seed]) => seed)), new Set([String(run.seed)]), "one seed for every attempt and task");

  const second = JSON.parse((await spire(["run", "-f", "spire.yaml", "--json"], { data, cwd: dir })).stdout) as Run;
  seen(dir);
  assert.notEqual(second.seed, run.seed, "each run draws its own");

  writeFileSync(join(dir, "fail"), "");
  const given = await spire(["run", "-f", "spire.yaml", "--seed", "42", "--json"], { data, cwd: dir });
  assert.equal(given.code, 1, given.stderr);
  const failed = JSON.parse(given.stdout) as Run;
  assert.equal(failed.seed, 42);
  assert.ok(seen(dir).every(([, , seed]) => seed === "42"));

  rmSync(join(dir, "fail"));
  const retried = await spire(["retry", failed.id, "--json"], { data, cwd: dir });
  assert.equal(retried.code, 0, retried.stderr);
  const retry = JSON.parse(retried.stdout) as Run;
  assert.notEqual(retry.id, failed.id);
  assert.equal(retry.seed, 42, "a retry replays with the run's seed");
  assert.deepEqual(seen(dir), [["gate", "1", "42"]], "only the failed task ran again, with the same seed");

  const shown = await spire(["show", retry.id], { data });
  assert.match(shown.stdout, /· seed 42\b/);
  const json = JSON.parse((await spire(["show", retry.id, "--json"], { data })).stdout) as Run;
  assert.equal(json.seed, 42);

  const bad = await spire(["run", "-f", "spire.yaml", "--seed", "-1"], { data, cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--seed must be a whole number from 0 to 2147483647, got "-1"/);
  assert.equal(existsSync(join(dir, "seen.txt")), false, "nothing ran");
});

test("the API takes a run's seed when it is started, and refuses one out of range", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "spire.yaml"), "namespace: api\npipelines:\n  draw:\n    tasks:\n      say: { run: 'echo \"::output::seed=$SPIRE_SEED\"' }\n");
  const engine = await startEngine(t, join(dir, "data"), ["-f", join(dir, "spire.yaml")]);
  const token = readFileSync(join(engine.data, "token"), "utf8").trim();
  const start = (body: unknown) =>
    fetch(`${engine.url}/api/v1/pipelines/api/draw/runs`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  const created = await start({ seed: 7 });
  assert.equal(created.status, 201);
  const run = (await created.json()) as Run;
  assert.equal(run.seed, 7);
  const out = await spire(["logs", run.id, "say", "-f"], { data: engine.data });
  assert.match(out.stdout, /::output::seed=7\b/);
  const refused = await start({ seed: 2 ** 31 });
  assert.equal(refused.status, 400, await refused.text());
  await stopEngine(engine);
});
