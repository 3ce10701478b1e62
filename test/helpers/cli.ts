/** Drives the real `spire` program (bin/spire.js) as a user would. */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

export const SPIRE_BIN = fileURLToPath(new URL("../../../bin/spire.js", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface SpireResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpireOptions {
  /** The data folder (passed as SPIRE_DATA). */
  data: string;
  cwd?: string;
  env?: Record<string, string>;
  /** Written to its stdin, which is then closed (default: no stdin at all). */
  input?: string;
}

export function startSpire(args: string[], options: SpireOptions): ChildProcess {
  const child = spawn(process.execPath, [SPIRE_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, SPIRE_DATA: options.data, NO_COLOR: "1", ...options.env },
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  return child;
}

export function finished(child: ChildProcess): Promise<SpireResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
}

export function spire(args: string[], options: SpireOptions): Promise<SpireResult> {
  return finished(startSpire(args, options));
}

export function example(name: string): string {
  return join(REPO_ROOT, "examples", name);
}
