/**
 * The native spawner: native/spawn.c (an N-API addon built at install):
 * posix_spawn on a thread of its own, so the event loop never waits for a
 * child's exec, and a pidfd per child on this process's event loop. Its
 * cost does not grow with this process's memory, where Node's fork does;
 * see that file for what the task sees and how its exit is told.
 */
import { EventEmitter } from "node:events";
import { closeSync } from "node:fs";
import { Socket } from "node:net";
import { resolve } from "node:path";
import { constants } from "node:os";
import { inspect, getSystemErrorName } from "node:util";
import type { ReapedUsage, Spawner, TaskOutput, TaskProcess, TaskSpawnOptions } from "./port.js";
import { userUmask } from "../../files/private.js";
import { loadAddon } from "../../native/addon.js";


interface Addon {
  /**
   * Starts the process on the addon's spawner thread; `onStarted` is called in a later turn with 0 and
   * the pid and the read ends of stdout and stderr, or with the errno of a failure to start.
   */
  spawn(
    file: string,
    argv: string[],
    /** NUL-separated entries (an array of strings from an addon built before). */
    envp: string | string[],
    cwd: string | null,
    umask: number,
    onStarted: (errno: number, pid: number, stdoutFd: number, stderrFd: number) => void,
    /** `cpuMs` and `maxRssBytes`: the process's rusage at its reap (null when it was not reaped; undefined from an addon built before). */
    onExit: (code: number | null, signal: number | null, cpuMs?: number | null, maxRssBytes?: number | null, groupGone?: boolean) => void,
  ): void;
  /**
   * Reads a pipe's fd (made non-blocking) on the event loop: each read's bytes to `onChunk`, then null with 0 at
   * the end of file or an errno when a read fails; the fd is closed then. Undefined from an addon built before.
   */
  read?(fd: number, onChunk: (chunk: Buffer | null, errno: number) => void): number;
  /** Stops reading and closes the fd now; false when it had already ended. */
  stopRead?(id: number): boolean;
  /** Why it cannot work on this system (no pidfd_open), or null. */
  unavailable: string | null;
  /** From now on, spawns run on the event loop's thread (as where the spawner thread cannot have a umask of its own); false once that thread runs. */
  useLoopThread(): boolean;
}

const signalNames = new Map<number, NodeJS.Signals>(Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]));

/**
 * A pipe read by the addon (native/output.c): "data" per read, "end" at the
 * end of file, then "close"; "close" alone when destroyed or a read failed.
 * What a net.Socket on the fd gave, for a fraction of its cost per task.
 */
class NativeOutput extends EventEmitter implements TaskOutput {
  #id: number | undefined;

  constructor(
    private readonly addon: Required<Pick<Addon, "read" | "stopRead">>,
    fd: number,
  ) {
    super();
    this.#id = addon.read(fd, (chunk, errno) => this.#told(chunk, errno));
  }

  #told(chunk: Buffer | null, errno: number): void {
    if (chunk !== null) return void this.emit("data", chunk);
    this.#id = undefined;
    if (errno === 0) this.emit("end");
    this.emit("close");
  }

  destroy(): void {
    if (this.#id === undefined || !this.addon.stopRead(this.#id)) return;
    this.#id = undefined;
    // As a stream's destroy: "close" comes after the caller's turn.
    process.nextTick(() => this.emit("close"));
  }
}

/** Starting until "spawn" (pid, stdout and stderr then set) or "error"; then "exit", in the same turn as the reap. */
class NativeProcess extends EventEmitter implements TaskProcess {
  pid: number | undefined;
  usage: ReapedUsage | undefined;
  groupGoneAtExit: boolean | undefined;
  stdout: TaskOutput | null = null;
  stderr: TaskOutput | null = null;
  readonly #addon: Addon;
  readonly #command: string;
  readonly #args: readonly string[];

  constructor(addon: Addon, command: string, args: readonly string[]) {
    super();
    this.#addon = addon;
    this.#command = command;
    this.#args = args;
  }

  /** Called by the addon once the spawner thread is done with this start. */
  started(errno: number, pid: number, stdoutFd: number, stderrFd: number): void {
    if (errno !== 0) return void this.emit("error", spawnError(errno, this.#command, this.#args));
    let stdout: TaskOutput | undefined;
    // The fds not yet handed to a reader (the addon's closes the fd it was given, even when it throws).
    const unhanded = new Set([stdoutFd, stderrFd]);
    try {
      stdout = this.#reader(stdoutFd, unhanded);
      this.stderr = this.#reader(stderrFd, unhanded);
      this.stdout = stdout;
    } catch (error) {
      // Unreadable pipes (out of memory?): the task must not run unseen. The addon still reaps it.
      process.kill(-pid, "SIGKILL");
      stdout?.destroy();
      for (const fd of unhanded) closeSync(fd);
      return void this.emit("error", error);
    }
    this.pid = pid;
    this.emit("spawn");
  }

  #reader(fd: number, unhanded: Set<number>): TaskOutput {
    const { read, stopRead } = this.#addon;
    if (read !== undefined && stopRead !== undefined) {
      unhanded.delete(fd);
      return new NativeOutput({ read, stopRead }, fd);
    }
    // An addon built before read(): a Socket on the pipe's fd, as Node reads its own children's pipes.
    const socket = new Socket({ fd, readable: true, writable: false });
    unhanded.delete(fd);
    return socket;
  }

  /** Called by the addon in the same callback as it reaped the process. */
  exited(code: number | null, signal: number | null, cpuMs?: number | null, maxRssBytes?: number | null, groupGone?: boolean): void {
    if (typeof cpuMs === "number" && typeof maxRssBytes === "number") this.usage = { cpuMs, ...(ownPeak(maxRssBytes) ? { peakRssBytes: maxRssBytes } : {}) };
    this.groupGoneAtExit = groupGone;
    this.emit("exit", code, signal === null ? null : (signalNames.get(signal) ?? (`SIG${signal}` as NodeJS.Signals)));
  }
}

/**
 * Whether a vfork-spawned child's ru_maxrss is its own. At exec the kernel
 * counts the memory the process had before it into its peak (exec_mmap),
 * and a child of posix_spawn had this process's memory then: its figure is
 * the higher of ours (at its exec) and its own. Above our own peak now it
 * can only be its own; at or below, it cannot be told apart from ours (an
 * `echo` showed 47–72 MiB), and the sampled peak, if any, stands instead.
 */
function ownPeak(maxRssBytes: number): boolean {
  // Our peak only grows: at or below a peak already read, the answer is no without asking again (a system call a task, on its way to its end).
  if (maxRssBytes <= ourPeakSeen) return false;
  ourPeakSeen = process.resourceUsage().maxRSS * 1024;
  return maxRssBytes > ourPeakSeen;
}

/** This process's peak RSS as last read (bytes). */
let ourPeakSeen = 0;

/** As Node's spawn does, a NUL inside a string is refused before anything starts (it would cut the string short). */
function checkNoNul(value: string, name: string): string {
  if (!value.includes("\0")) return value;
  const error = new TypeError(`The argument '${name}' must be a string without null bytes. Received ${inspect(value)}`) as NodeJS.ErrnoException;
  error.code = "ERR_INVALID_ARG_VALUE";
  throw error;
}

/** A failure to start, shaped as Node's (`spawn ls ENOENT`, with code, errno, syscall and path) so that spawn-errors.ts explains both alike. */
function spawnError(errno: number, command: string, args: readonly string[]): NodeJS.ErrnoException {
  const code = getSystemErrorName(-errno);
  const error = new Error(`spawn ${command} ${code}`) as NodeJS.ErrnoException & { spawnargs: string[] };
  Object.assign(error, { errno: -errno, code, syscall: `spawn ${command}`, path: command, spawnargs: [...args] });
  return error;
}

/** The environment's entries, joined by NUL for an addon that takes them so (see environment_of in spawn.c). */
function environment(env: TaskSpawnOptions["env"], joined: boolean): string | string[] {
  const pairs: string[] = [];
  // As Node's spawn: every enumerable key, inherited ones too, in order; undefined values left out.
  for (const key in env) {
    const value = env[key];
    if (value !== undefined) pairs.push(`${checkNoNul(key, `options.env['${key}']`)}=${checkNoNul(String(value), `options.env['${key}']`)}`);
  }
  return joined ? pairs.join("\0") : pairs;
}

function nativeSpawner(addon: Addon): Spawner {
  return {
    kind: "native",
    spawn(command, args, { cwd, env }): TaskProcess {
      const argv = [checkNoNul(command, "file"), ...args.map((arg, index) => checkNoNul(arg, `args[${index}]`))];
      const task = new NativeProcess(addon, command, args);
      // The cwd made absolute here: the spawner thread's own working directory is not this process's.
      const where = resolve(checkNoNul(cwd, "options.cwd"));
      addon.spawn(command, argv, environment(env, addon.read !== undefined), where, userUmask(), (...started) => task.started(...started), (...exited) => task.exited(...exited));
      return task;
    },
  };
}

/**
 * The native spawner, or why there is none here. `onLoopThread`: spawn on
 * the event loop's thread, as the addon does where unshare(CLONE_FS) is
 * refused (for tests of that path; before the first spawn of this process).
 */
export function loadNativeSpawner(options: { onLoopThread?: boolean } = {}): Spawner | { why: string } {
  if (process.platform !== "linux") return { why: `it is for Linux (pidfd), this is ${process.platform}` };
  const loaded = loadAddon();
  if ("why" in loaded) return loaded;
  const addon = loaded.addon as Addon;
  if (addon.unavailable !== null) return { why: addon.unavailable };
  if (options.onLoopThread === true && !addon.useLoopThread()) return { why: "its spawner thread already runs" };
  return nativeSpawner(addon);
}
