/**
 * `spire service … --worker`: what differs for a worker's service. Its
 * command line is `spire worker` with the options checked as the worker
 * checks them; its token goes in the environment, from a private file,
 * never on a command line or in output; its status says whether it is
 * registered with its engine (from the record the worker keeps in its
 * data folder: no token needed to ask the engine).
 */
import { statSync } from "node:fs";
import { homedir } from "node:os";
import { resolve } from "node:path";
import { EXIT } from "../errors.js";
import { parseResourceFlags } from "../resource-options.js";
import { checkWorkerName, engineUrlOf, workerDataDir, workerLabelsOf, workerTasksOf, workerTokenOf, type WorkerOptions } from "../worker-options.js";
import { checkWorkerToken, describeToken, tokenClaims, type TokenClaims } from "../worker-token.js";
import { passedOptions } from "../service-options.js";
import { valueAfter } from "../service-text.js";
import type { ServiceDefinition } from "../../service/definition.js";
import { WORKER_SERVICE } from "../../service/kind.js";
import type { ServiceManager } from "../../service/manager.js";
import { readOptional } from "../../service/private-file.js";
import { thisSpire } from "../../service/this-spire.js";
import { WORKER_STOP_TIMEOUT_SECONDS, workerArgv } from "../../service/worker-command.js";
import { readConnectionRecord, writerRuns, type ConnectionRecord } from "../../worker/connection-record.js";

export interface WorkerServiceOptions extends WorkerOptions {
  /** More `spire worker` options (after --), and the names of all its options. */
  more: string[];
  workerFlags: string[];
}

export interface WorkerDefinition {
  definition: ServiceDefinition;
  claims: TokenClaims;
  /** Where the token came from: --token or SPIRE_TOKEN. */
  from: string;
}

/** The worker's service: every option checked as `spire worker` checks it, before anything is written. */
export function workerDefinitionOf(options: WorkerServiceOptions): WorkerDefinition {
  // First: a --token after -- is refused as misplaced, not taken for a missing token.
  const more = passedOptions(WORKER_SERVICE, options.more, options.workerFlags);
  const engine = engineUrlOf(options);
  const { token, from } = workerTokenOf(options);
  const claims = checkWorkerToken(token, from);
  const name = options.name !== undefined ? checkWorkerName(options.name) : undefined;
  const labels = workerLabelsOf(options.labels);
  parseResourceFlags({ ...(options.cpus !== undefined ? { cpus: options.cpus } : {}), ...(options.memory !== undefined ? { memory: options.memory } : {}) });
  const tasks = options.tasks !== undefined ? workerTasksOf(options.tasks, 1) : undefined;
  const program = thisSpire();
  const argv = workerArgv(program, {
    engine,
    data: workerDataDir(options.data),
    // Where tasks without an absolute cwd run: as for spire worker, the folder it is started from (here, the installing one).
    workdir: resolve(options.workdir ?? process.cwd()),
    ...(name !== undefined ? { name } : {}),
    labels,
    ...(tasks !== undefined ? { tasks } : {}),
    ...(options.cpus !== undefined ? { cpus: options.cpus } : {}),
    ...(options.memory !== undefined ? { memory: options.memory } : {}),
    ...(options.allowInsecure ? { allowInsecure: true } : {}),
    more,
  });
  return {
    definition: {
      argv,
      path: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      // The certificate that makes a self-signed engine trusted (remote.md): the service does not inherit this shell's environment.
      environment: { ...program.environment, ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: resolve(process.env.NODE_EXTRA_CA_CERTS) } : {}) },
      home: homedir(),
      stopTimeoutSeconds: WORKER_STOP_TIMEOUT_SECONDS,
      secrets: { SPIRE_TOKEN: token },
    },
    claims,
    from,
  };
}

/** The line install prints about the token: which one, from where, kept where; never the token. */
export function tokenNote(manager: ServiceManager, { claims, from }: WorkerDefinition): string[] {
  const lines = [`  token: ${describeToken(claims)}, from ${from}; kept in ${manager.secretsPlace} (mode 600), not on the command line`];
  if (claims.scope === "admin") lines.push("  (an admin token may do anything on the engine; one of scope worker only runs tasks: spire token create --scope worker --name NAME)");
  return lines;
}

/** The token a service holds, as status and uninstall need it: where, whether it is there, whether only the user can read it. */
export interface HeldToken {
  place: string;
  present: boolean;
  /** The file's permission bits, when it exists. */
  mode?: number;
  claims?: TokenClaims;
}

export function heldToken(manager: ServiceManager): HeldToken {
  const text = readOptional(manager.secretsPlace);
  const token = text === undefined ? undefined : manager.secretsIn(text).SPIRE_TOKEN;
  if (token === undefined) return { place: manager.secretsPlace, present: false };
  const claims = tokenClaims(token);
  return { place: manager.secretsPlace, present: true, mode: statSync(manager.secretsPlace).mode & 0o777, ...(claims ? { claims } : {}) };
}

export interface WorkerState {
  data: string;
  /** Registered with its engine now: a worker runs and its last word is that it registered. */
  registered: boolean;
  record?: ConnectionRecord;
  /** The worker that wrote the record still runs. */
  runs: boolean;
}

export function workerState(argv: string[] | undefined, dataOption: string | undefined): WorkerState {
  const data = valueAfter(argv, "--data") ?? workerDataDir(dataOption);
  const record = readConnectionRecord(data);
  const runs = record !== undefined && writerRuns(record);
  return { data, registered: runs && record.state === "registered", runs, ...(record ? { record } : {}) };
}

/** The status rows of a worker's service beside the service manager's: its token and its engine. */
export function workerRows(token: HeldToken, state: WorkerState, installed: boolean): [string, string][] {
  const rows: [string, string][] = [];
  if (installed) rows.push(["token", tokenRow(token)]);
  rows.push(["worker", `${workerRow(state)} (data: ${state.data})`]);
  return rows;
}

function tokenRow(token: HeldToken): string {
  if (!token.present) return `missing: ${token.place} has no SPIRE_TOKEN, so the worker cannot register: run spire service install --worker --token … again`;
  const where = `in ${token.place}, mode ${token.mode!.toString(8)}`;
  if ((token.mode! & 0o077) !== 0) return `${describeToken(token.claims)}, ${where}: others can read it: chmod 600 ${token.place}`;
  return `${describeToken(token.claims)}, ${where}`;
}

function workerRow({ record, runs }: WorkerState): string {
  if (record === undefined) return "no word from a worker yet";
  const since = `since ${record.since}`;
  if (!runs) {
    if (record.state === "refused") return `not running: the last worker was refused by ${record.engine} at ${record.since}: ${record.message ?? "no reason given"}`;
    return `not running (the last worker ${record.state === "stopped" ? "stopped" : `was ${record.state}`} at ${record.since})`;
  }
  switch (record.state) {
    case "registered":
      return `registered with ${record.engine} as ${record.name} ${since}`;
    case "connecting":
      return `starting: registering with ${record.engine} as ${record.name} ${since}`;
    case "unreachable":
      return `not registered: ${record.engine} does not answer ${since} (${record.message ?? "no reason given"}); it keeps trying`;
    case "refused":
      return `refused by ${record.engine} ${since}: ${record.message ?? "no reason given"}`;
    case "stopped":
      return `stopping ${since}`;
  }
}

/** The exit code of status --worker: 0 when registered, 3 when not (as the engine's: 0 when it answers). */
export function workerStatusCode(state: WorkerState): number {
  return state.registered ? EXIT.ok : EXIT.unreachable;
}

