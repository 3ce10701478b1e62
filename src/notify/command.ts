/**
 * `run:` — the user's own command, through `sh -c` like a task's `run:`,
 * with the run in its environment (never spliced into the text). It runs in
 * its own process group, in the definitions file's folder, with a timeout;
 * the group is ended when the command exits (nothing it started in the
 * background stays), at the timeout, and when the engine stops.
 * Exit 0 delivers; anything else is final (a command is not retried: it may
 * have done half of its work).
 */
import { spawn } from "node:child_process";
import { withUserUmask } from "../files/private.js";
import { DeliveryError, type Channel } from "./channel.js";
import type { Payload } from "./message.js";

export interface CommandOptions {
  cwd: string;
  /** The environment it starts from (the engine's, without the engine's own token). */
  env: Record<string, string>;
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL to the group. */
  killGraceMs: number;
  /** Hides secret values in what is recorded (output, the error). */
  mask: (text: string) => string;
  /** The last lines it printed (masked), when it printed anything. */
  output: (text: string) => void;
}

/** Enough for an error message and a look in the engine log; the rest is dropped. */
const KEPT_OUTPUT = 4096;
/** An environment string longer than 128 KiB cannot be passed to a program (Linux MAX_ARG_STRLEN). */
const MAX_JSON = 100_000;

export class CommandChannel implements Channel {
  readonly kind = "run";
  readonly target: string;
  readonly retries = 0;

  constructor(
    private readonly command: string,
    private readonly options: CommandOptions,
  ) {
    this.target = command.length > 200 ? `${command.slice(0, 200)}…` : command;
  }

  send(payload: Payload, signal: AbortSignal): Promise<string> {
    const { cwd, timeoutMs, killGraceMs, mask } = this.options;
    return new Promise((resolve, reject) => {
      // The user's command: its files get the user's umask, not Spire's.
      const child = withUserUmask(() => spawn("sh", ["-c", this.command], { cwd, env: { ...this.options.env, ...payloadEnv(payload) }, detached: true, stdio: ["ignore", "pipe", "pipe"] }));
      let output = "";
      const keep = (chunk: Buffer) => (output = (output + chunk.toString("utf8")).slice(-KEPT_OUTPUT));
      child.stdout.on("data", keep);
      child.stderr.on("data", keep);
      let ending: string | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      const end = (why: string) => {
        ending ??= why;
        signalGroup(child.pid, "SIGTERM");
        killTimer ??= setTimeout(() => signalGroup(child.pid, "SIGKILL"), killGraceMs);
      };
      const timer = setTimeout(() => end(`timed out after ${timeoutMs} ms`), timeoutMs);
      const abort = () => end("the engine stopped");
      signal.addEventListener("abort", abort, { once: true });
      const finish = () => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        signal.removeEventListener("abort", abort);
      };
      child.on("error", (error: NodeJS.ErrnoException) => {
        finish();
        reject(new DeliveryError(`could not start sh in ${cwd}: ${error.code ?? error.message}`, false));
      });
      let exit: { code: number | null; killedBy: NodeJS.Signals | null } | undefined;
      child.on("exit", (code, killedBy) => {
        exit = { code, killedBy };
        // What it left running in the background goes with it, and with it the last holders of its pipes.
        signalGroup(child.pid, "SIGKILL");
        // A process that left the group (setsid) may still hold them: its output is not waited for long.
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
        }, 1000).unref();
      });
      child.on("close", () => {
        finish();
        const { code, killedBy } = exit ?? { code: null, killedBy: null };
        const printed = mask(output.trim());
        if (printed) this.options.output(printed);
        if (ending) return reject(new DeliveryError(ending, false));
        if (code === 0) return resolve("exit 0");
        const lastLine = printed.split("\n").at(-1)?.slice(0, 300);
        const status = code === null ? `killed by ${killedBy}` : `exit ${code}`;
        reject(new DeliveryError(`${status}${lastLine ? `: ${lastLine}` : ""}`, false, status));
      });
    });
  }
}

/** The run (or the missed slots) as environment variables; values are data, never shell text. */
function payloadEnv(payload: Payload): Record<string, string> {
  const env: Record<string, string> = { SPIRE_NOTIFY_EVENT: payload.event, SPIRE_NOTIFY_TEXT: payload.text };
  if (payload.run === null) {
    const { missed } = payload;
    return {
      ...env,
      SPIRE_NAMESPACE: missed.namespace,
      SPIRE_PIPELINE: missed.pipeline,
      SPIRE_TRIGGER: missed.trigger_key,
      SPIRE_MISSED_COUNT: String(missed.count),
      SPIRE_MISSED_FIRST: missed.first_slot,
      SPIRE_MISSED_LAST: missed.last_slot,
      SPIRE_MISSED_REASON: missed.reason,
      SPIRE_MISSED_JSON: JSON.stringify(missed),
    };
  }
  const { run } = payload;
  let json = JSON.stringify(run);
  // A run with thousands of tasks: the command gets the summary, and can ask the API for the rest.
  if (json.length > MAX_JSON) json = JSON.stringify({ ...run, tasks: [], groups: [], tasks_omitted: run.tasks.length });
  return {
    ...env,
    SPIRE_RUN_ID: run.id,
    SPIRE_NAMESPACE: run.namespace,
    SPIRE_PIPELINE: run.pipeline,
    SPIRE_RUN_STATE: run.state,
    SPIRE_RUN_REASON: run.reason ?? "",
    SPIRE_RUN_DURATION_MS: run.duration_ms === null ? "" : String(run.duration_ms),
    SPIRE_TRIGGER: run.trigger.kind,
    SPIRE_RUN_JSON: json,
  };
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}
