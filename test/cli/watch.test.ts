/**
 * `spire watch [-n SECS] [--precise] -- COMMAND…`: watch(1) as a job. Each
 * run is a recorded run of an ad hoc pipeline; Ctrl-C stops the firing and
 * keeps the history. Not on a terminal each run's output is printed once
 * after its header; on a terminal (a real pty, made by util-linux `script`)
 * it is full-screen in the alternate buffer, given back on exit. Killed
 * outright, the watch stops renewing its lease and the engine pauses it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { SPIRE_BIN, finished, spire, startSpire } from "../helpers/cli.js";
import { apiGet, startEngine, stopEngine } from "../helpers/engine.js";

checkNoLeftoverProcesses();

const HEADER = /^Every 0\.2s: sh -c 'echo tick; echo tock >&2' {3}\S+: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/gm;

/** `spire watch -n 0.2 … -- sh -c 'echo tick; echo tock >&2'`, not on a terminal, until it has shown `count` runs. */
async function watchUntil(count: number, options: { data: string; cwd: string }, extra: string[] = []) {
  const child = startSpire(["watch", "-n", "0.2", ...extra, "--", "sh", "-c", "echo tick; echo tock >&2"], options);
  const result = finished(child);
  let stdout = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  await until(() => (stdout.match(HEADER) ?? []).length >= count, `${count} runs shown`, 15_000);
  return { child, result, stdout: () => stdout };
}

async function runsOf(data: string): Promise<{ id: string; pipeline: string; state: string; trigger: { kind: string } }[]> {
  return JSON.parse((await spire(["runs", "--json", "-n", "1000"], { data })).stdout);
}

test("not on a terminal: each run's output after its header; Ctrl-C pauses the pipeline, keeps its runs, exits 130", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const engine = await startEngine(t, data);
  const { child, result, stdout } = await watchUntil(4, { data, cwd: dir });
  child.kill("SIGINT");
  const { code, stderr } = await result;
  assert.equal(code, 130, stderr);
  assert.match(stdout(), /^Every 0\.2s: .*\n\ntick\ntock\n\nEvery 0\.2s: /, "a header, a blank line, the run's output (both streams)");
  assert.match(stderr, /stopped: \w+\/watch-sh-c-echo-tick-echo-tock-2-[0-9a-f]{8} is paused; its runs: spire runs /);

  const [pipeline] = JSON.parse((await spire(["ls", "--json"], { data })).stdout);
  assert.equal(pipeline.paused, true);
  assert.equal(pipeline.next_fire_at, null, "it fires no more");
  assert.equal(pipeline.triggers[0].after_finish, true, "without --precise the interval counts from the end of a run");
  assert.equal(pipeline.description, "ad hoc watch: sh -c 'echo tick; echo tock >&2'");

  const runs = await runsOf(data);
  assert.ok(runs.length >= 4, `${runs.length} runs kept`);
  assert.ok(runs.some((run) => run.trigger.kind === "every"), "the engine's trigger fired them");
  assert.ok(runs.every((run) => run.state !== "running" && run.state !== "queued"), "none is left going");
  await stopEngine(engine);
  assert.equal((await runsOf(data)).length, runs.length, "nothing fired after Ctrl-C");
});

test("watching the same command again resumes its pipeline and history; --precise is a fixed rate", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const engine = await startEngine(t, data);
  const watch = async (extra: string[]) => {
    const { child, result } = await watchUntil(2, { data, cwd: dir }, extra);
    const [listed] = JSON.parse((await spire(["ls", "--json"], { data })).stdout);
    child.kill("SIGINT");
    assert.equal((await result).code, 130);
    return listed;
  };
  const first = await watch([]);
  const second = await watch(["--precise"]);
  assert.equal(second.name, first.name, "one pipeline per command");
  assert.equal(second.paused, false, "resumed while watched");
  assert.equal(second.triggers[0].after_finish, undefined, "--precise: start to start");
  assert.equal(new Set((await runsOf(data)).map((run) => run.pipeline)).size, 1);
  await stopEngine(engine);
});

test("a second watch of the same command is refused while the first runs, changing nothing; the first goes on", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const engine = await startEngine(t, data);
  const { child, result, stdout } = await watchUntil(2, { data, cwd: dir });
  const second = await spire(["watch", "-n", "5", "--", "sh", "-c", "echo tick; echo tock >&2"], { data, cwd: dir });
  assert.equal(second.code, 2, second.stderr);
  assert.match(second.stderr, /is watched by another spire watch already \(its lease runs to .+ unless renewed\)/);
  assert.match(second.stderr, /Stop the other watch \(Ctrl-C where it runs\)/);
  assert.doesNotMatch(second.stderr, /\n\s+at /, "no stack trace");
  const [pipeline] = JSON.parse((await spire(["ls", "--json"], { data })).stdout);
  assert.equal(pipeline.paused, false, "the first's pipeline still fires");
  assert.equal(pipeline.triggers[0].every, 200, "its interval is the first's, not the second's 5s");
  const shown = (stdout().match(HEADER) ?? []).length;
  await until(() => (stdout().match(HEADER) ?? []).length >= shown + 2, "the first watch showing more runs", 15_000);
  child.kill("SIGINT");
  assert.equal((await result).code, 130);
  await stopEngine(engine);
});

test("a watch stopped (Ctrl-Z) until its lease lapsed, and taken over by another, stops when its terminal closes and leaves the other's pipeline firing", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const engine = await startEngine(t, data, ["--watch-lease", "1s"]);
  const pipeline = async () => JSON.parse((await spire(["ls", "--json"], { data })).stdout)[0] as { paused: boolean };
  const first = await watchUntil(1, { data, cwd: dir });
  first.child.kill("SIGSTOP");
  await until(async () => (await pipeline()).paused, "the engine pausing the stopped watch's pipeline", 10_000);
  const second = await watchUntil(1, { data, cwd: dir });
  // What a closing terminal sends its stopped jobs: the hang-up is handled as the job continues, before any renewal.
  first.child.kill("SIGHUP");
  first.child.kill("SIGCONT");
  const { code, stderr } = await first.result;
  assert.equal(code, 2, stderr);
  assert.match(stderr, /stopped: \w+\/watch-\S+ is watched by another spire watch already/);
  assert.match(stderr, /The other watch goes on/);
  assert.equal((await pipeline()).paused, false, "the second's pipeline was not paused by the first");
  const shown = (second.stdout().match(HEADER) ?? []).length;
  await until(() => (second.stdout().match(HEADER) ?? []).length > shown, "the second watch showing more runs", 15_000);
  second.child.kill("SIGINT");
  assert.equal((await second.result).code, 130);
  await stopEngine(engine);
});

test("killed with SIGKILL, the watch stops renewing its lease: the engine pauses its pipeline, cancels its run and says why", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const engine = await startEngine(t, data, ["--watch-lease", "1s"]);
  const pipelines = async () => (await apiGet<{ pipelines: { paused: boolean; paused_reason: string | null; next_fire_at: string | null }[] }>(engine, "/pipelines")).pipelines;
  const runs = async () => (await apiGet<{ runs: { state: string; reason: string | null }[] }>(engine, "/runs?limit=100")).runs;
  // A command that outlives the watcher: its run is under way when the watcher dies.
  const child = startSpire(["watch", "-n", "0.2", "--", "sleep", "30"], { data, cwd: dir });
  const result = finished(child);
  await until(async () => (await runs()).some((run) => run.state === "running"), "the watch's first run running", 15_000);
  // Alive, the watcher renews: several terms pass without a pause. Nothing marks "not paused", so it is looked at after them.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  assert.equal((await pipelines())[0]?.paused, false, "renewed while the watch runs");

  child.kill("SIGKILL");
  assert.equal((await result).signal, "SIGKILL");
  await until(async () => (await pipelines())[0]?.paused === true, "the engine pausing the pipeline", 10_000);
  const [pipeline] = await pipelines();
  assert.equal(pipeline!.paused_reason, "its spire watch is gone: no lease renewal for 1s");
  assert.equal(pipeline!.next_fire_at, null, "it fires no more");
  await until(async () => (await runs()).every((run) => run.state !== "running" && run.state !== "queued"), "its run ended");
  assert.ok((await runs()).some((run) => run.state === "canceled" && /^canceled: its spire watch is gone/.test(run.reason ?? "")), "the run under way canceled, as Ctrl-C would");
  assert.match((await spire(["ls"], { data })).stdout, /\(paused: its spire watch is gone: no lease renewal for 1s\)/);
  const audit = JSON.parse((await spire(["audit", "--json"], { data })).stdout) as { actor: string; action: string; details: { reason?: string } }[];
  assert.ok(audit.some((entry) => entry.action === "pipeline.pause" && entry.actor.includes("lease") && /spire watch is gone/.test(entry.details.reason ?? "")), "the audit says who and why");
  await stopEngine(engine);
  assert.match((await engine.exit).stderr, /paused a spire watch pipeline: its lease lapsed/);
});

test("without an engine the watch runs here and still keeps each run", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const { child, result } = await watchUntil(3, { data, cwd: dir });
  child.kill("SIGINT");
  const { code, stderr } = await result;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /stopped; its runs: spire runs watch-sh-c-/);
  const runs = await runsOf(data);
  assert.ok(runs.length >= 3, `${runs.length} runs kept`);
  assert.ok(runs.every((run) => run.pipeline === runs[0]!.pipeline && run.pipeline.startsWith("watch-")));
});

test("on a terminal: full screen in the alternate buffer, redrawn in place; Ctrl-C gives the terminal back", async (t) => {
  const dir = tempDir(t);
  const command = [process.execPath, SPIRE_BIN, "watch", "-n", "0.2", "--", "printf", "%s\\n", "first line", "\x1b]0;title\x07second"].map((part) => `'${part}'`).join(" ");
  // The pty's own size (what the program reads), not just COLUMNS and LINES in its environment.
  const child = spawn("script", ["-qfec", `stty cols 120 rows 10; exec ${command}`, "/dev/null"], {
    cwd: dir,
    env: { ...process.env, SPIRE_DATA: join(dir, "data"), TERM: "xterm-256color" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const result = finished(child);
  let raw = "";
  child.stdout!.on("data", (chunk: Buffer) => (raw += chunk.toString()));
  await until(() => (raw.match(/\x1b\[H\x1b\[2JEvery 0\.2s/g) ?? []).length >= 3, "three screens", 15_000);
  child.stdin!.write("\x03"); // Ctrl-C, as the terminal sends it
  const { code } = await result;
  assert.equal(code, 130, raw);
  assert.ok(raw.indexOf("\x1b[?1049h") < raw.indexOf("Every 0.2s"), "the alternate screen first");
  assert.ok(raw.lastIndexOf("\x1b[?1049l") > raw.lastIndexOf("Every 0.2s"), "and back to the normal screen at the end");
  assert.match(raw, /\x1b\[\?25h\x1b\[\?1049l/, "the cursor shown again");
  assert.match(raw, /Every 0\.2s: printf .* {2,}\S+: \d{4}-/, "the header: command left, host and time right");
  assert.match(raw, /\n\r?\n\r?first line\r?\nsecond/, "the output, its escape sequence removed");
  assert.doesNotMatch(raw, /\x1b\]0;/, "neither the output nor the command in the header can set the terminal's title");
  assert.match(raw, /Every 0\.2s: printf '%s\\n' 'first line' \$'\\x1b\]0;title\\x07second'/, "the command shown with its control characters escaped");
});
