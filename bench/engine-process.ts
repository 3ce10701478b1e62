/** A `spire engine` child process with its own data folder, for benches that look at it from outside, as a client does. */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { spireArgv, spireEnv } from "./lib.js";

export interface EngineProcess {
  child: ChildProcess;
  url: string;
  token: string;
  data: string;
  exited: Promise<number | null>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts the engine on a free port of 127.0.0.1; its output goes to `<data>/../engine.log`. */
export async function startEngineProcess(data: string, logFile: string): Promise<EngineProcess> {
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, spireArgv("engine", "--listen", "127.0.0.1:0", "--data", data), { stdio: ["ignore", log, log], env: spireEnv() });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const addressFile = join(data, "engine.json");
  const deadline = Date.now() + 30_000;
  // The address file names this engine's pid once it listens (an earlier engine's file may still be there).
  for (;;) {
    const address = existsSync(addressFile) ? (JSON.parse(readFileSync(addressFile, "utf8") || "{}") as { pid?: number; url?: string }) : {};
    if (address.pid === child.pid && address.url) return { child, url: address.url, token: readFileSync(join(data, "token"), "utf8").trim(), data, exited };
    if (child.exitCode !== null) throw new Error(`the engine exited ${child.exitCode}: ${readFileSync(logFile, "utf8").slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`the engine did not listen within 30 s: ${readFileSync(logFile, "utf8").slice(-2000)}`);
    await sleep(20);
  }
}

export async function stopEngineProcess(engine: EngineProcess): Promise<void> {
  engine.child.kill("SIGTERM");
  const code = await Promise.race([engine.exited, sleep(30_000).then(() => "timeout" as const)]);
  if (code === "timeout") {
    engine.child.kill("SIGKILL");
    throw new Error("the engine did not exit within 30 s of SIGTERM");
  }
}

/** A request to the engine's API with its local token: status, headers, body text and the wall time in ms. */
export async function timedCall(engine: EngineProcess, method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; text: string; ms: number }> {
  const started = process.hrtime.bigint();
  const response = await fetch(`${engine.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${engine.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}
