/**
 * The engine's end of the wire to a supervisor: a child's stdin/stdout, or a
 * Unix socket. Both look the same to SupervisorExecutor: write text, get
 * lines, learn once why the wire closed.
 */
import { spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import type { Readable, Writable } from "node:stream";
import { LineSplitter } from "./protocol.js";
import { batchedWriter } from "./batched-writer.js";
import { userUmask } from "../../files/private.js";
import { packageFile } from "../../files/package-root.js";

export interface Link {
  write(text: string): void;
  /** Called with each line from the supervisor, then once with why the wire closed. */
  listen(onLine: (line: string) => void, onClose: (reason: string) => void): void;
  /** Ends our side (a socket client leaving; a stdio child reads end of input). */
  end(): void;
  /** Whether the wire keeps this process alive (only while something waits on the supervisor). */
  setRef(ref: boolean): void;
  readonly pid: number | undefined;
}

export const SUPERVISOR_MAIN = packageFile("dist", "bundle", "supervisor.js");

function readLines(stream: Readable, onLine: (line: string) => void): void {
  const splitter = new LineSplitter(onLine);
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => splitter.push(chunk));
}

const asSocket = (stream: Readable | Writable | null) => stream as unknown as Socket | null;

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  /** Extra flags for node (the default keeps the young generation small: a smaller process forks faster). */
  nodeFlags?: string[];
}

// Concurrent recompilation stays on here (unlike the engine's shebang): the supervisor is on
// the path from trigger to spawn, where a compile on the main thread is a pause, and its RSS is no target.
export const DEFAULT_NODE_FLAGS = ["--max-semi-space-size=2"];

/** The supervisor runs under umask 077 like its parent; the tasks it spawns get the user's (see files/private.ts). */
export function taskUmaskArgs(): string[] {
  return ["--task-umask", userUmask().toString(8).padStart(4, "0")];
}

export function childLink(options: ChildOptions = {}): Link {
  const flags = options.nodeFlags ?? DEFAULT_NODE_FLAGS;
  // stderr is shared: the supervisor only writes there what a person should see.
  const child = spawn(process.execPath, [...flags, SUPERVISOR_MAIN, "--stdio", ...taskUmaskArgs()], { stdio: ["pipe", "pipe", "inherit"], env: options.env ?? process.env });
  child.stdin!.on("error", () => undefined); // EPIPE when it died; "close" below says why
  return {
    pid: child.pid,
    write: batchedWriter(child.stdin!, { firstAtOnce: true }),
    listen(onLine, onClose) {
      readLines(child.stdout!, onLine);
      child.once("error", (error) => onClose(`supervisor did not start: ${error.message}`));
      child.once("close", (code, signal) => onClose(`supervisor exited: ${signal !== null ? `killed by ${signal}` : `exit code ${code}`}`));
    },
    end: () => child.stdin!.end(),
    setRef(ref) {
      for (const handle of [child, asSocket(child.stdin), asSocket(child.stdout)]) {
        if (ref) handle?.ref();
        else handle?.unref();
      }
    },
  };
}

export function socketLink(socketPath: string): Link {
  const socket = connect(socketPath);
  let error: Error | undefined;
  socket.on("error", (e) => (error = e));
  return {
    pid: undefined,
    write: batchedWriter(socket, { firstAtOnce: true }),
    listen(onLine, onClose) {
      readLines(socket, onLine);
      socket.once("close", () => onClose(`supervisor connection lost${error !== undefined ? `: ${error.message}` : " (the supervisor exited or closed it)"}`));
    },
    end: () => socket.end(),
    setRef: (ref) => void (ref ? socket.ref() : socket.unref()),
  };
}
