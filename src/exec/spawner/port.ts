/**
 * What an attempt needs of a started task process, whichever spawner
 * started it (native.ts: posix_spawn; node.ts: Node's child_process).
 *
 * Both start the process the same way: its own session and process group
 * (pgid = pid, the group Spire signals), stdin from /dev/null, stdout and
 * stderr captured apart, exactly the given argv and environment, the
 * command looked up in that environment's PATH, no shell.
 */

export interface TaskProcess {
  /**
   * Undefined until the process is started: then "spawn" (and from then on pid, stdout and stderr are
   * set) or "error" follows. Node's spawn sets them at once, or reports most failures to start that way.
   */
  readonly pid?: number | undefined;
  readonly stdout: TaskOutput | null;
  readonly stderr: TaskOutput | null;
  /** What the process used, from its reap (wait4), where the spawner tells (the native one); set before "exit". */
  readonly usage?: ReapedUsage | undefined;
  /**
   * Set before "exit" where the spawner looked right after the reap (the native one): true when nothing was left
   * of the process group, false when something was; undefined where it did not look.
   */
  readonly groupGoneAtExit?: boolean | undefined;
  once(event: "spawn", listener: () => void): this;
  /** The exit is told in the same turn of the event loop as the process is reaped (so, before it, the pid is still the task's). */
  once(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: "error", listener: (error: Error) => void): this;
  on(event: "error", listener: (error: Error) => void): this;
}

/**
 * A task's stdout or stderr as read: "data" per chunk, "end" at the end of
 * file, "close" once it is closed (also when destroyed or a read failed).
 * A Node Readable is one; the native spawner has a lighter one of its own.
 */
export interface TaskOutput {
  on(event: "data", listener: (chunk: Buffer) => void): this;
  once(event: "end" | "close", listener: () => void): this;
  destroy(): void;
}

/** A reaped process's rusage: what it and the children it waited for used. */
export interface ReapedUsage {
  /** User + system CPU, ms. */
  cpuMs: number;
  /**
   * The highest RSS of the process or of any child it waited for (ru_maxrss), when it is the task's own:
   * absent where it may be the spawning process's (see NativeProcess.exited).
   */
  peakRssBytes?: number;
}

export interface TaskSpawnOptions {
  cwd: string;
  /** The whole environment of the task: nothing else is added. Entries whose value is undefined are left out. */
  env: Record<string, string | undefined>;
}

export type SpawnerKind = "native" | "node";

export interface Spawner {
  readonly kind: SpawnerKind;
  /**
   * Starts `command` with `args`, under the user's umask (files/private.ts).
   * A failure to start is an error with `code`, `syscall` and `path`, as
   * Node's: thrown, or emitted as "error" while there is no pid.
   */
  spawn(command: string, args: readonly string[], options: TaskSpawnOptions): TaskProcess;
}
