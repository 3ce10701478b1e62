/**
 * A real `spire engine` for the web UI's benchmarks and screenshots: started
 * on a free port with a temporary data folder and a definitions file, called
 * with its local token, logged into by a browser through `spire ui --print`,
 * stopped with SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { newContext, type UiOptions, type UiPage } from "../../test/helpers/browser.js";
import { spireArgv } from "../lib.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface BenchEngine {
  child: ChildProcess;
  dir: string;
  data: string;
  url: string;
  token: string;
  /** A call to /api/v1 with the local (admin) token; throws on an unexpected status. */
  api<T>(method: string, path: string, body?: unknown, expect?: number): Promise<T>;
  /** SIGTERM, wait, remove the temporary folder. */
  stop(): Promise<void>;
}

export async function startBenchEngine(definitions: string, extra: string[] = []): Promise<BenchEngine> {
  const dir = mkdtempSync(join(tmpdir(), "spire-bench-ui-"));
  const data = join(dir, "data");
  const file = join(dir, "spire.yaml");
  writeFileSync(file, definitions);
  const logFile = join(dir, "engine.log");
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, spireArgv("engine", "-f", file, "--listen", "127.0.0.1:0", "--data", data, "--grace", "1s", ...extra), { stdio: ["ignore", log, log], cwd: dir });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const addressFile = join(data, "engine.json");
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (url === undefined) {
    if (child.exitCode !== null) throw new Error(`the engine exited ${child.exitCode}: ${readFileSync(logFile, "utf8").slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`the engine did not listen within 60 s: ${readFileSync(logFile, "utf8").slice(-2000)}`);
    try {
      const address = JSON.parse(readFileSync(addressFile, "utf8")) as { pid: number; url: string };
      if (address.pid === child.pid) url = address.url;
    } catch {
      // not written yet, or half written
    }
    if (url === undefined) await sleep(20);
  }
  const token = readFileSync(join(data, "token"), "utf8").trim();
  const base = url;
  return {
    child,
    dir,
    data,
    url,
    token,
    async api<T>(method: string, path: string, body?: unknown, expect?: number): Promise<T> {
      const response = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (expect !== undefined ? response.status !== expect : !response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The one-time login link of `spire ui --print` for this engine. */
export function loginLinkOf(engine: BenchEngine): string {
  const printed = spawnSync(process.execPath, spireArgv("ui", "--print", "--data", engine.data), { encoding: "utf8" });
  if (printed.status !== 0) throw new Error(`spire ui --print: ${printed.stderr}`);
  return printed.stdout.trim();
}

/** A browser context logged in through the one-time link, on the pipelines page. */
export async function logIn(browser: Browser, engine: BenchEngine, options: UiOptions = {}): Promise<UiPage> {
  const ui = await newContext(browser, options);
  await ui.page.goto(loginLinkOf(engine));
  await ui.page.waitForURL((url) => url.pathname === "/" && url.hash === "");
  return ui;
}

/** Until every run the engine knows has ended (queued or running ones left: wait). */
export async function waitForRunsToEnd(engine: BenchEngine, withinMs = 120_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const page = await engine.api<{ runs: { state: string }[] }>("GET", "/runs?limit=1000");
    if (!page.runs.some((run) => run.state === "queued" || run.state === "running")) return;
    if (Date.now() > deadline) throw new Error("runs still going after the deadline");
    await sleep(100);
  }
}
