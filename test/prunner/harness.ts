/** An engine serving prunner's API (`spire engine --prunner`) on a free port, and requests to it as prunner's clients make them. */
import { createServer } from "node:net";
import { request } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { spire } from "../helpers/cli.js";
import { startEngine, type RunningEngine } from "../helpers/engine.js";

/** prunner's own server test pipeline (server/server_test.go), its Go commands made into echoes; `slow` waits for the file `go`. */
export const PIPELINES = `pipelines:
  release_it:
    concurrency: 1
    tasks:
      test:
        script: ["echo out from test", "echo err from test >&2"]
      lint:
        script: ["echo out from lint {{ .tag }}", "echo err from lint >&2"]
      generate:
        script: ['echo generate "\${PRUNNER_JWT_SECRET:-unset}"']
      build:
        script: ["echo build"]
        depends_on: [generate]
      deploy:
        script: ["echo deploy", "echo done"]
        depends_on: [build, test, lint]
  slow:
    tasks:
      wait:
        script: ["while [ ! -e go ]; do sleep 0.05; done"]
`;

export interface PrunnerEngine extends RunningEngine {
  prunnerUrl: string;
  folder: string;
}

/** A port nothing listens on now (the engine takes it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startPrunnerEngine(t: TestContext, data: string, env: Record<string, string> = {}): Promise<PrunnerEngine> {
  const folder = join(data, "project");
  mkdirSync(folder);
  writeFileSync(join(folder, "pipelines.yml"), PIPELINES);
  const port = await freePort();
  const engine = await startEngine(t, data, ["--prunner", `127.0.0.1:${port}`, "-f", folder], env);
  return { ...engine, prunnerUrl: `http://127.0.0.1:${port}`, folder };
}

/** `spire token prunner`, as a user makes one. */
export async function prunnerToken(data: string, args: string[] = [], env: Record<string, string> = {}): Promise<string> {
  const made = await spire(["token", "prunner", ...args], { data, env });
  if (made.code !== 0) throw new Error(`spire token prunner: ${made.stderr}`);
  return made.stdout.trim();
}

export interface Answer {
  status: number;
  type: string;
  text: string;
  json(): unknown;
}

export async function call(engine: PrunnerEngine, method: string, path: string, options: { token?: string; body?: string } = {}): Promise<Answer> {
  const response = await fetch(`${engine.prunnerUrl}${path}`, {
    method,
    headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get("content-type") ?? "", text, json: () => JSON.parse(text) };
}

/**
 * A POST saying it carries `bytes` bytes, of which only the first KiB is
 * sent: a server that refuses a body by its length answers before reading
 * it (a whole body written into a connection closed after the answer would
 * fail with EPIPE instead of giving the answer).
 */
export function postTooMuch(engine: PrunnerEngine, path: string, token: string, bytes: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const sent = request(`${engine.prunnerUrl}${path}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": bytes } }, (response) => {
      let text = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      response.on("end", () => {
        sent.destroy();
        resolve({ status: response.statusCode ?? 0, type: String(response.headers["content-type"] ?? ""), text, json: () => JSON.parse(text) });
      });
    });
    sent.on("error", reject);
    sent.write(`{"pipeline":"${"x".repeat(1024)}`);
  });
}
