/** An engine (`spire engine` on port 0) for CLI tests: started, found through `<data>/engine.json`, stopped. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import type { TestContext } from "node:test";
import { finished, spire, startSpire, type SpireResult } from "./cli.js";

export interface RunningEngine {
  child: ChildProcess;
  data: string;
  url: string;
  exit: Promise<SpireResult>;
  /** The last of what it wrote to stderr. */
  said?: () => string;
}

/**
 * How long an engine may take to stop after SIGTERM. Its drain ends far
 * sooner (it waits out its tasks' kill grace); one that has not stopped by
 * then is stuck, and is killed so that the test fails with what it said
 * instead of hanging the suite.
 */
const STOP_DEADLINE_MS = 90_000;

export async function startEngine(t: TestContext, data: string, extra: string[] = [], env: Record<string, string> = {}): Promise<RunningEngine> {
  const child = startSpire(["engine", "--listen", "127.0.0.1:0", ...extra], { data, env });
  const exit = finished(child);
  // What it said so far: an engine slow to start tells why.
  let said = "";
  child.stderr?.on("data", (chunk: Buffer | string) => void (said = (said + chunk.toString()).slice(-4000)));
  const addressFile = join(data, "engine.json");
  // Generous: a fresh engine is ready in 1–2 s, but on a machine at load 15 it took over 15 s.
  const deadline = Date.now() + 30_000;
  // The address file is the engine's way of saying it listens.
  while (addressOf(addressFile)?.pid !== child.pid) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const result = await Promise.race([exit, new Promise<SpireResult>((resolve) => setTimeout(() => resolve({ code: null, signal: null, stdout: "", stderr: `(still running after 30 s) ${said}` }), 100))]);
      throw new Error(`the engine did not start: ${result.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const engine: RunningEngine = { child, data, url: addressOf(addressFile)!.url, exit, said: () => said };
  t.after(() => stopEngine(engine));
  return engine;
}

/** The address file's content; undefined while it is absent or half written (it is not written atomically). */
function addressOf(file: string): { pid: number; url: string } | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as { pid: number; url: string };
  } catch {
    return undefined;
  }
}

/** Stops the engine (SIGTERM) and waits for it: call at the end of a test, before the leftover check. */
export async function stopEngine(engine: RunningEngine): Promise<void> {
  const { child } = engine;
  if (child.exitCode !== null || child.signalCode !== null) return void (await engine.exit);
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([engine.exit.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), STOP_DEADLINE_MS)))]);
  clearTimeout(timer);
  if (stopped) return;
  child.kill("SIGKILL");
  await engine.exit;
  throw new Error(`the engine (pid ${child.pid}) did not stop within ${STOP_DEADLINE_MS / 1000} s of SIGTERM; the last it said:\n${engine.said?.() ?? ""}`);
}

export function pipelineFile(dir: string, body: string): string {
  const file = join(dir, "spire.yaml");
  writeFileSync(file, body);
  return file;
}

/** `spire show --json` until the run is in `state` (or 10 s pass: the caller's assertion then says what it was). */
export async function waitForState(data: string, id: string, state: string): Promise<{ state: string; tasks: { state: string; exit_code: number | null }[] }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const shown = JSON.parse((await spire(["show", id, "--json"], { data })).stdout);
    if (shown.state === state || Date.now() > deadline) return shown;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A GET under /api/v1 with the engine's local token: cheaper to poll than one CLI process per look. */
export async function apiGet<T>(engine: RunningEngine, path: string): Promise<T> {
  const token = readFileSync(join(engine.data, "token"), "utf8").trim();
  const response = await fetch(`${engine.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** A run of `namespace/pipeline` started through the API with the engine's local token (as a script would); its id. */
export async function apiStartRun(engine: RunningEngine, pipeline: string, args: Record<string, string> = {}): Promise<string> {
  const token = readFileSync(join(engine.data, "token"), "utf8").trim();
  const response = await fetch(`${engine.url}/api/v1/pipelines/${pipeline}/runs`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ args }) });
  if (response.status !== 201) throw new Error(`POST /pipelines/${pipeline}/runs: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}
