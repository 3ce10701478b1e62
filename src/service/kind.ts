/**
 * What a service runs: the engine, or a worker for an engine on another
 * machine. Each has its own unit (systemd) or agent (launchd), so one
 * machine can have both; the rest of what differs between them is here.
 */

export interface ServiceKind {
  /** For messages and file names: "the engine", engine.log. */
  what: "engine" | "worker";
  /** The unit's name without .service, the agent's label and its plist's name. */
  name: string;
  description: string;
  /** Exit codes a restart cannot fix (the service manager leaves it stopped), and why: a comment in the unit. */
  fatalExits: { codes: number[]; why: string[] };
  /** Why only the main process gets the stop signal: a comment in the unit (KillMode=process) and the plist (AbandonProcessGroup). */
  killModeWhy: string[];
  /** Why the task supervisor and the tasks outlive it (a comment in the plist beside AbandonProcessGroup). */
  outlive: string;
  /** The `spire service` option that picks it, for hints: "" or " --worker". */
  option: string;
}

export const ENGINE_SERVICE: ServiceKind = {
  what: "engine",
  name: "spire",
  description: "Spire engine: scheduler and pipeline runner",
  fatalExits: {
    codes: [2],
    why: ["Exit code 2 is a mistake in the options or the definitions file (or the port is taken):", "starting again would only fail again. spire service logs says which."],
  },
  killModeWhy: [
    "On stop the engine drains (its --grace), then stops its task supervisor itself. Only the",
    "engine gets the signal: the supervisor and the tasks outlive an engine that crashed, and",
    "the engine that Restart= starts takes them over. (mixed would SIGKILL them on a crash.)",
  ],
  outlive: "The task supervisor and the tasks outlive an engine that crashed; the next engine takes them over.",
  option: "",
};

export const WORKER_SERVICE: ServiceKind = {
  what: "worker",
  name: "spire-worker",
  description: "Spire worker: runs an engine's tasks on this machine",
  fatalExits: {
    codes: [2, 3],
    why: [
      "Exit code 2 is a mistake in the options, 3 an engine that refused the token or whose",
      "certificate is not trusted: starting again would only fail again. An engine that does not",
      "answer is waited for without exiting. spire service logs --worker says which.",
    ],
  },
  killModeWhy: [
    "On stop the worker stops taking tasks and leaves; the tasks it runs go on under its task",
    "supervisor, by design, and the worker started next takes them up. Only the worker gets the",
    "signal: control-group would SIGTERM every task, mixed would SIGKILL them.",
  ],
  outlive: "The task supervisor and the tasks outlive the worker, by design; the worker started next takes them up.",
  option: " --worker",
};
