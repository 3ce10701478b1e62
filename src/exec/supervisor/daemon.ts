/**
 * Starts a socket supervisor that outlives this process: in its own session
 * (no terminal signal reaches it), not waited for, its stderr appended to a
 * log file. Resolves once it listens; rejects with its own words when it
 * refuses (another live supervisor owns the socket).
 */
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { DEFAULT_NODE_FLAGS, SUPERVISOR_MAIN, taskUmaskArgs } from "./link.js";
import { makePrivateDirSync, PRIVATE_FILE_MODE } from "../../files/private.js";

export interface DaemonOptions {
  socketPath: string;
  /** Exit after this long with no running attempt and no client (0: never). */
  idleExitMs?: number;
  /** Where the supervisor's stderr goes (appended); discarded when absent. */
  logFile?: string;
  env?: NodeJS.ProcessEnv;
  nodeFlags?: string[];
}

export async function startSocketSupervisor(options: DaemonOptions): Promise<{ pid: number }> {
  const args = [...(options.nodeFlags ?? DEFAULT_NODE_FLAGS), SUPERVISOR_MAIN, "--socket", options.socketPath, ...taskUmaskArgs()];
  if (options.idleExitMs !== undefined) args.push("--idle-exit-ms", String(options.idleExitMs));
  let logFd: number | undefined;
  if (options.logFile !== undefined) {
    makePrivateDirSync(dirname(options.logFile));
    logFd = openSync(options.logFile, "a", PRIVATE_FILE_MODE);
  }
  try {
    // Without a log file, stderr is read until it says whether it serves: a crash on start is then explained.
    const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", "pipe", logFd ?? "pipe"], env: options.env ?? process.env });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const status = await firstLine(child.stdout!, new Promise((resolve) => child.once("error", resolve)));
    child.stdout!.destroy();
    child.stderr?.destroy();
    child.unref();
    return parseStatus(status, child.exitCode, stderr);
  } finally {
    if (logFd !== undefined) closeSync(logFd);
  }
}

/** The first line written to `stream`, or "" when it ends (or `failed` settles) first. */
function firstLine(stream: NodeJS.ReadableStream, failed: Promise<unknown>): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      text += chunk;
      if (text.includes("\n")) resolve(text.slice(0, text.indexOf("\n")));
    });
    stream.once("end", () => resolve(""));
    void failed.then((error) => resolve(JSON.stringify({ type: "error", message: (error as Error).message })));
  });
}

function parseStatus(line: string, exitCode: number | null, stderr: string): { pid: number } {
  let status: { type?: string; pid?: number; message?: string } = {};
  try {
    status = JSON.parse(line) as typeof status;
  } catch {
    // said nothing we understand
  }
  if (status.type === "ready" && typeof status.pid === "number") return { pid: status.pid };
  throw new Error(`spire supervisor did not start: ${status.message ?? `it exited${exitCode !== null ? ` with code ${exitCode}` : ""}${stderr.trim() !== "" ? `: ${stderr.trim().slice(-2000)}` : " without saying why"}`}`);
}
