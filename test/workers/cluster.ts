/**
 * An engine and its workers as real processes, each in its own network
 * namespace (test/helpers/netns.ts), so that what they say to each other
 * crosses a network that a test can cut. The test runner talks to the
 * engine at its address like any client on the network.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { request as httpsRequest } from "node:https";
import type { ChildProcess } from "node:child_process";
import type { TestContext } from "node:test";
import { createNetwork, type Network } from "../helpers/netns.js";
import { SPIRE_BIN, spire, type SpireResult } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";
import { assertNoLeftoverProcesses } from "../helpers/leaks.js";
import { makeCertificate } from "../helpers/certificate.js";

export const ENGINE_PORT = 7070;

export interface Cluster {
  network: Network;
  dir: string;
  engineData: string;
  engineUrl: string;
  engine: ChildProcess;
  /** Starts the engine again on the same data folder and address (after killing it); `engine` is then the new one. */
  restartEngine(): Promise<void>;
  token: string;
  /** A token of scope worker, which the workers use. */
  workerToken: string;
  /** Starts `spire worker` on `host` (its own data folder under dir). */
  worker(host: string, args: string[], options?: WorkerOptions): ChildProcess;
  /** With `tls`: the engine's self-signed certificate, which the CLI and the workers trust through NODE_EXTRA_CA_CERTS. */
  ca?: string;
  /** The CLI against the engine, from the test runner. */
  cli(args: string[]): Promise<SpireResult>;
  api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  stderrOf(child: ChildProcess): string;
  /** Ends the workers and the engine, removes the network, and checks that no process of the test is left. */
  shutdown(workers: ChildProcess[]): Promise<void>;
}

const output = new WeakMap<ChildProcess, string[]>();

function capture(child: ChildProcess): ChildProcess {
  const chunks: string[] = [];
  output.set(child, chunks);
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => chunks.push(chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => chunks.push(chunk));
  return child;
}

export interface ClusterOptions {
  /**
   * The engine serves https, with a self-signed certificate for its own
   * address, the test runner's (network.rootAddress, where a test may put a
   * proxy) and 127.0.0.1; it listens on the network without --allow-remote.
   */
  tls?: boolean;
  /** More environment for the engine (what `secrets: [NAME]` reads). */
  engineEnv?: Record<string, string>;
  /** Called once the network exists, before the engine starts: returns more engine arguments (an --allow-host for a proxy, say). */
  beforeEngine?(network: Network): string[] | Promise<string[]>;
}

export interface WorkerOptions {
  /** The engine's URL as this worker has it (default: the engine's own address). */
  engine?: string;
  /** Pass --allow-insecure (default: when the engine serves plain http). */
  allowInsecure?: boolean;
}

export async function startCluster(t: TestContext, hosts: string[], definitions: string, engineArgs: string[] = [], options: ClusterOptions = {}): Promise<Cluster> {
  const dir = tempDir(t, "spire-workers-");
  const network = await createNetwork(["engine", ...hosts]);
  t.after(() => network.close());
  const engineData = join(dir, "engine-data");
  mkdirSync(engineData, { recursive: true });
  const file = join(dir, "spire.yaml");
  writeFileSync(file, definitions);
  const address = network.hosts.get("engine")!.address;
  const tls = options.tls ? makeCertificate(join(dir, "tls"), [address, network.rootAddress, "127.0.0.1"]) : undefined;
  // Over https the engine may listen on the network by itself; over http it must be told.
  const reach = tls ? ["--tls-cert", tls.cert, "--tls-key", tls.key] : ["--allow-remote"];
  const more = (await options.beforeEngine?.(network)) ?? [];
  const spawnEngine = () =>
    capture(
      network.spawn("engine", [process.execPath, SPIRE_BIN, "engine", "--listen", `${address}:${ENGINE_PORT}`, ...reach, "-f", file, ...engineArgs, ...more], {
        env: { ...process.env, SPIRE_DATA: engineData, NO_COLOR: "1", ...options.engineEnv },
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
  const engine = spawnEngine();
  const engineUrl = `${tls ? "https" : "http"}://${address}:${ENGINE_PORT}`;
  const send = (url: string, init: Sent = {}) => (tls ? sendTrusting(tls.cert, url, init) : sendPlain(url, init));
  const healthy = async () => (await send(`${engineUrl}/api/v1/health`).catch(() => undefined))?.status === 200;
  const trust: Record<string, string> = tls ? { NODE_EXTRA_CA_CERTS: tls.cert } : {};
  const token = await waitForToken(engineData, engine);
  await waitUntil(healthy, 15_000, () => `the engine did not answer: ${output.get(engine)?.join("")}`);
  const made = await spire(["token", "create", "--scope", "worker", "--name", "workers"], { data: join(dir, "cli-data"), env: { SPIRE_ENGINE: engineUrl, SPIRE_TOKEN: token, ...trust } });
  if (made.code !== 0) throw new Error(`no worker token: ${made.stderr}`);
  const workerToken = made.stdout.trim();
  const cluster: Cluster = {
    network,
    dir,
    engineData,
    engineUrl,
    engine,
    async restartEngine() {
      if (cluster.engine.exitCode === null && cluster.engine.signalCode === null) {
        const gone = new Promise((resolve) => cluster.engine.once("exit", resolve));
        cluster.engine.kill("SIGKILL");
        await gone;
      }
      cluster.engine = spawnEngine();
      await waitUntil(healthy, 15_000, () => `the engine did not start again: ${output.get(cluster.engine)?.join("")}`);
    },
    token,
    workerToken,
    ...(tls ? { ca: tls.cert } : {}),
    worker(host, args, { engine = engineUrl, allowInsecure = !tls }: WorkerOptions = {}) {
      const data = join(dir, `${host}-data`);
      const insecure = allowInsecure ? ["--allow-insecure"] : [];
      return capture(
        network.spawn(host, [process.execPath, SPIRE_BIN, "worker", "--engine", engine, "--token", workerToken, "--name", host, "--data", data, "--workdir", dir, ...insecure, ...args], {
          env: { ...process.env, NO_COLOR: "1", ...trust },
          stdio: ["ignore", "pipe", "pipe"],
        }),
      );
    },
    cli(args) {
      return spire(args, { data: join(dir, "cli-data"), env: { SPIRE_ENGINE: engineUrl, SPIRE_TOKEN: token, ...trust } });
    },
    async api<T>(method: string, path: string, body?: unknown) {
      const response = await send(`${engineUrl}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: JSON.parse(response.text) as T };
    },
    stderrOf(child) {
      return output.get(child)?.join("") ?? "";
    },
    async shutdown(workers) {
      for (const worker of workers) worker.kill("SIGTERM");
      cluster.engine.kill("SIGTERM");
      await network.close();
      await assertNoLeftoverProcesses();
    },
  };
  return cluster;
}

interface Sent {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

async function sendPlain(url: string, init: Sent): Promise<{ status: number; text: string }> {
  const response = await fetch(url, init);
  return { status: response.status, text: await response.text() };
}

/** A request to an https engine whose certificate is `ca` (this process cannot trust it through NODE_EXTRA_CA_CERTS: that is read at start). */
function sendTrusting(ca: string, url: string, init: Sent): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { method: init.method ?? "GET", headers: init.headers ?? {}, ca: readFileSync(ca) }, (response) => {
      let text = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(init.body);
  });
}

async function waitForToken(data: string, engine: ChildProcess): Promise<string> {
  let token = "";
  await waitUntil(
    () => {
      if (engine.exitCode !== null) throw new Error(`the engine exited: ${output.get(engine)?.join("")}`);
      try {
        token = readFileSync(join(data, "token"), "utf8").trim();
      } catch {
        return false;
      }
      return token !== "";
    },
    15_000,
    () => `the engine made no token: ${output.get(engine)?.join("")}`,
  );
  return token;
}

/** Polls `check` (every 50 ms) until it holds; fails with `explain()` after `withinMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, withinMs: number, explain: () => string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${withinMs} ms: ${explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface TaskView {
  path: string;
  state: string;
  attempt: number;
  worker?: string | null;
  reason: string | null;
  duration_ms?: number | null;
  outputs?: Record<string, string>;
  attempts?: TaskView[];
}

export interface RunView {
  id: string;
  state: string;
  tasks: TaskView[];
}

/** Starts a run of `pipeline` over the API and waits for it to end. */
export async function runToEnd(cluster: Cluster, pipeline: string, withinMs = 30_000): Promise<RunView> {
  const started = await cluster.cli(["run", pipeline, "--detach"]);
  if (started.code !== 0) throw new Error(`spire run failed: ${started.stderr}`);
  const id = started.stdout.trim();
  return waitForRun(cluster, id, withinMs);
}

export async function waitForRun(cluster: Cluster, id: string, withinMs = 30_000): Promise<RunView> {
  let run: RunView | undefined;
  await waitUntil(
    async () => {
      run = (await cluster.api<RunView>("GET", `/runs/${id}`)).body;
      return run.state !== "running" && run.state !== "queued";
    },
    withinMs,
    () => `run ${id} is still ${run?.state}: ${JSON.stringify(run?.tasks)}\nengine: ${cluster.stderrOf(cluster.engine).slice(-3000)}`,
  );
  return run!;
}

/** Waits until the engine lists `name` as connected. */
export async function connected(cluster: Cluster, name: string): Promise<void> {
  await waitUntil(
    async () => {
      const { status, body } = await cluster.api<{ workers?: { name: string; state: string }[] }>("GET", "/workers");
      return status === 200 && body.workers?.some((worker) => worker.name === name && worker.state === "connected") === true;
    },
    15_000,
    () => `worker ${name} did not connect`,
  );
}

/** The task's log lines as the engine has them (NDJSON, one {ts, stream, line} per line). */
export async function logOf(cluster: Cluster, run: string, task: string): Promise<string[]> {
  const response = await fetch(`${cluster.engineUrl}/api/v1/runs/${run}/tasks/${encodeURIComponent(task)}/logs?limit=10000`, { headers: { authorization: `Bearer ${cluster.token}` } });
  if (!response.ok) throw new Error(`logs of ${task}: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text.split("\n").filter((line) => line !== "").map((line) => (JSON.parse(line) as { line: string }).line);
}
