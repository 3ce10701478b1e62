#!/usr/bin/env node
/**
 * The supervisor process: spawns and watches tasks for an engine from a
 * small heap (fork cost grows with the caller's memory), and keeps them
 * going when the engine dies (socket mode).
 *
 *   node main.js --stdio [--task-umask <octal>]
 *   node main.js --socket <path> [--idle-exit-ms <ms>] [--task-umask <octal>]
 *
 * The supervisor's own files are private (umask 077); the tasks it spawns
 * get --task-umask, the user's (default: the one it was started with).
 *
 * Imports only exec modules and node builtins: start-up and heap stay small.
 * In socket mode the first line on stdout is `{"type":"ready",…}` or
 * `{"type":"error","message":…}`; nothing else is ever written there.
 */
import { writeSync } from "node:fs";
import { serveStdio } from "./stdio-transport.js";
import { SocketTransport } from "./socket-transport.js";
import { usePrivateUmask } from "../../files/private.js";
import { defaultSpawner } from "../spawner/index.js";

const USAGE = "usage: main.js --stdio | --socket <path> [--idle-exit-ms <ms>] [--task-umask <octal>]";
const DEFAULT_IDLE_EXIT_MS = 10 * 60_000;

function fail(message: string, code = 2): never {
  process.stderr.write(`spire supervisor: ${message}\n`);
  process.exit(code);
}

function optionValue(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index < 0) return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith("--")) fail(`${name} needs a value\n${USAGE}`);
  return value;
}

/** Tells whoever started us, on stdout, whether we serve; errors to stdout are not worth dying for. */
function status(message: object): void {
  try {
    writeSync(1, `${JSON.stringify(message)}\n`);
  } catch {
    // nobody is reading
  }
}

async function serveSocket(args: string[]): Promise<void> {
  const socketPath = optionValue(args, "--socket")!;
  const idle = optionValue(args, "--idle-exit-ms");
  const idleExitMs = idle === undefined ? DEFAULT_IDLE_EXIT_MS : Number(idle);
  if (!Number.isFinite(idleExitMs) || idleExitMs < 0) fail(`--idle-exit-ms must be a number ≥ 0, not ${idle}`);
  process.stderr.on("error", () => undefined); // whoever started us may have stopped reading
  const transport = new SocketTransport({ socketPath, idleExitMs });
  try {
    await transport.listen();
  } catch (error) {
    const message = (error as Error).message;
    status({ type: "error", message });
    fail(message, 3);
  }
  status({ type: "ready", pid: process.pid, socket: socketPath });
}

function taskUmask(args: string[]): number | undefined {
  const text = optionValue(args, "--task-umask");
  if (text === undefined) return undefined;
  if (!/^0?[0-7]{1,3}$/.test(text)) fail(`--task-umask must be an octal umask such as 0022, not ${text}`);
  return parseInt(text, 8);
}

const args = process.argv.slice(2);
usePrivateUmask(taskUmask(args));
// Said once, in the supervisor's log (or its engine's stderr), when tasks will not start natively.
const { note } = defaultSpawner();
if (note !== undefined) process.stderr.write(`spire supervisor: ${note}\n`);
if (args.includes("--stdio")) serveStdio();
else if (args.includes("--socket")) await serveSocket(args);
else fail(USAGE);
