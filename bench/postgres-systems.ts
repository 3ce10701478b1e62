/**
 * The systems bench/postgres compares, each in a schema of its own on the
 * same PostgreSQL, all driven alike: Spire (one `spire engine --store`, or
 * two sharing a schema with the client spreading its POSTs over them),
 * graphile-worker and pg-boss (a worker process, bench/postgres-peer.ts, with
 * the bench adding the jobs through the library's own client). The work is
 * one process per run or job: `true`, or for the latency `date +%s%N`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeWorkerUtils, type WorkerUtils } from "graphile-worker";
import PgBoss from "pg-boss";
import pg from "pg";
import type { ApiClient } from "./http.js";
import { spireArgvWith, spireEnv } from "./lib.js";
import type { Attribution } from "./pg-cpu.js";
import type { PeerReport } from "./postgres-peer.js";
import { sampleProcess } from "./proc.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface BenchContext {
  /** The PostgreSQL database, without a schema: postgres://postgres@127.0.0.1:5432/test. */
  url: string;
  admin: pg.Pool;
  dir: string;
  http: ApiClient;
  realtimeNs: () => bigint;
  parallelism: number;
  /** Runs of one throughput batch: Spire's pipeline lets this many be under way or wait. */
  batch: number;
  pgbossBatch: number;
  engineFlags: string[];
  /** Every schema made, for the end to drop (whatever failed meanwhile). */
  schemas: Set<string>;
  /** Every engine started, for a Ctrl-C to stop (those of the failover part are no system's). */
  engines: Set<EngineProc>;
}

export interface Spawned {
  sentNs: bigint;
  /** Just before spawn(): Spire's started_at (ms), the peers' handler (ns). */
  spawnNs: bigint;
  /** The process's own first clock reading. */
  ranNs: bigint;
}

export interface System {
  key: string;
  label: string;
  /** Adds one run or job of the throughput work (`true`). */
  submit(index: number): Promise<void>;
  /** Runs or jobs not yet ended, and those that ended other than well, as the database says. */
  pending(poll: pg.Pool): Promise<{ open: number; failed: number }>;
  /** One run or job of `date +%s%N`, waited for. */
  once(): Promise<Spawned>;
  /** Whose PostgreSQL connections count as this system's. */
  attribution(): Attribution;
  /** The system's own processes by role (engines, their supervisors; the worker process), for their CPU. */
  processes(): Record<string, number[]>;
  /** Runs or jobs added so far. */
  made(): number;
  stop(): Promise<void>;
}

export function newSchema(context: BenchContext, role: string): string {
  const schema = `spire_bench_${role}_${randomBytes(4).toString("hex")}`;
  context.schemas.add(schema);
  return schema;
}

export function withParam(url: string, name: string, value: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(name, value);
  return parsed.toString();
}

// ---------------------------------------------------------------- Spire

export interface EngineProc {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  logFile: string;
  data: string;
  url: string;
  token: string;
}

/** `spire engine --store URL?schema=S`, its log in DIR/NAME.log; resolves once it listens. */
export async function startEngine(context: BenchContext, name: string, store: string, extra: string[] = []): Promise<EngineProc> {
  const data = join(context.dir, name);
  mkdirSync(data, { recursive: true });
  const logFile = join(context.dir, `${name}.log`);
  if (!existsSync(logFile)) writeFileSync(logFile, "");
  const log = openSync(logFile, "a");
  const argv = spireArgvWith(context.engineFlags, "engine", "--store", store, "--leader-lease", "10s", "--parallelism", String(context.parallelism), "--data", data, "--listen", "127.0.0.1:0", ...extra);
  const child = spawn(process.execPath, argv, { stdio: ["ignore", log, log], cwd: context.dir, env: spireEnv({ ...process.env, NO_COLOR: "1" }) });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const addressFile = join(data, "engine.json");
  for (const deadline = Date.now() + 30_000; ; await sleep(20)) {
    let address: { pid?: number; url?: string } = {};
    try {
      address = JSON.parse(readFileSync(addressFile, "utf8")) as typeof address;
    } catch {
      // not there yet, or half written
    }
    if (address.pid === child.pid && address.url) {
      const engine = { name, child, exited, logFile, data, url: address.url, token: readFileSync(join(data, "token"), "utf8").trim() };
      // Kept after it exits: a killed engine leaves its supervisor, stopped by the folder's pid file.
      context.engines.add(engine);
      return engine;
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`engine ${name} did not start: ${readFileSync(logFile, "utf8").slice(-2000)}`);
    }
  }
}

/**
 * Engines on one store must sign with one secret (they refuse to start
 * otherwise): the engine `name`, not started yet, gets `from`'s.
 */
export function shareSecret(context: BenchContext, from: EngineProc, name: string): void {
  mkdirSync(join(context.dir, name), { recursive: true, mode: 0o700 });
  copyFileSync(join(from.data, "secret"), join(context.dir, name, "secret"));
  chmodSync(join(context.dir, name, "secret"), 0o600);
}

/** The supervisor serving the data folder (its pid file beside the socket). */
export function supervisorPid(data: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(data, "supervisor.sock.pid"), "utf8").trim().split(" ")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const stops = new WeakMap<ChildProcess, Promise<void>>();

/**
 * SIGTERM to a child of the bench, and SIGKILL if it has not exited 30 s
 * later. Once per child: a second SIGTERM would make an engine exit at once,
 * without stopping its supervisor.
 */
function stopChild({ child, exited }: { child: ChildProcess; exited: Promise<number | null> }): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  let stopping = stops.get(child);
  if (stopping === undefined) {
    child.kill("SIGTERM");
    stopping = Promise.race([exited, sleep(30_000).then(() => "timeout" as const)]).then(async (code) => {
      if (code !== "timeout") return;
      child.kill("SIGKILL");
      await exited;
    });
    stops.set(child, stopping);
  }
  return stopping;
}

/** SIGTERM: the engine stops its supervisor itself. */
export const stopEngine = (engine: EngineProc): Promise<void> => stopChild(engine);

/** A supervisor its engine left (killed with -9 and not started again): stopped by pid. */
export function stopOrphanSupervisor(data: string): void {
  const pid = supervisorPid(data);
  if (pid === undefined || !sampleProcess(pid)?.comm.startsWith("node")) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // gone meanwhile
  }
}

interface RunObject {
  id: string;
  state: string;
  tasks: { started_at: string | null; outputs: Record<string, string> }[];
}

/** One run of `throughput` per POST; `latency`'s task prints its clock as an output. */
function spireDefinitions(context: BenchContext): string {
  return [
    "pipelines:",
    // Under way or waiting: the whole batch at once, as the peers' queues take it; the engine's --parallelism bounds the processes.
    `  throughput: { concurrency: ${context.batch}, queue: { limit: ${context.batch} }, tasks: { t: { exec: ["true"] } } }`,
    `  latency: { tasks: { t: { exec: [date, "+::output::t=%s%N"] } } }`,
    "",
  ].join("\n");
}

export async function startSpire(context: BenchContext, key: string, label: string, count: number): Promise<System> {
  const schema = newSchema(context, key);
  const store = withParam(context.url, "schema", schema);
  const engines: EngineProc[] = [];
  try {
    // One at a time: the first makes the schema's tables.
    for (let index = 0; index < count; index++) {
      const name = `${key}-${index + 1}`;
      // Signing with one secret, any engine's local token serves for all of them: the last one's is used.
      if (index > 0) shareSecret(context, engines[0]!, name);
      engines.push(await startEngine(context, name, store));
    }
    for (const engine of engines) engine.token = engines[engines.length - 1]!.token;
    // Each engine reads its pipelines when told (an apply); the store holds them for all.
    for (const engine of engines) await context.http.callJson(engine.url, engine.token, "POST", "/api/v1/apply", { text: spireDefinitions(context), namespace: "bench" });
  } catch (error) {
    await Promise.all(engines.map(stopEngine));
    throw error;
  }
  let made = 0;
  const post = async (engine: EngineProc, pipeline: string) => {
    made++;
    const answer = await context.http.call(engine.url, engine.token, "POST", `/api/v1/pipelines/bench/${pipeline}/runs`, {});
    if (answer.status !== 201) throw new Error(`POST ${pipeline} runs on ${engine.name}: ${answer.status} ${answer.body.toString("utf8").slice(0, 500)}`);
    return { id: (JSON.parse(answer.body.toString("utf8")) as RunObject).id, sentNs: answer.sentNs };
  };
  return {
    key,
    label,
    async submit(index) {
      await post(engines[index % engines.length]!, "throughput");
    },
    async pending(poll) {
      const { rows } = await poll.query<{ open: number; failed: number }>(
        `SELECT count(*) FILTER (WHERE finished_at IS NULL)::int AS open, count(*) FILTER (WHERE finished_at IS NOT NULL AND state <> 'succeeded')::int AS failed FROM ${schema}.runs`,
      );
      return rows[0]!;
    },
    async once() {
      const engine = engines[0]!;
      const { id, sentNs } = await post(engine, "latency");
      // The event stream ends after run.finished (no log lines: they are not what is measured).
      const events = await context.http.call(engine.url, engine.token, "GET", `/api/v1/runs/${id}/events?logs=none`);
      if (events.status !== 200) throw new Error(`GET events of ${id}: ${events.status}`);
      const run = await context.http.callJson<RunObject>(engine.url, engine.token, "GET", `/api/v1/runs/${id}`);
      const task = run.tasks[0];
      if (run.state !== "succeeded" || !task?.started_at || !task.outputs.t) throw new Error(`run ${id}: ${JSON.stringify(run).slice(0, 800)}`);
      return { sentNs, spawnNs: BigInt(Date.parse(task.started_at)) * 1_000_000n, ranNs: BigInt(task.outputs.t) };
    },
    attribution: () => ({ pids: engines.map((engine) => engine.child.pid!), applicationNames: [] }),
    made: () => made,
    processes: () => ({ engine: engines.map((engine) => engine.child.pid!), supervisor: engines.map((engine) => supervisorPid(engine.data) ?? -1).filter((pid) => pid > 0) }),
    async stop() {
      await Promise.all(engines.map(stopEngine));
    },
  };
}

// ---------------------------------------------------------------- the peers

const PEER_SCRIPT = fileURLToPath(new URL("./postgres-peer.js", import.meta.url));

interface PeerProc {
  child: ChildProcess;
  exited: Promise<number | null>;
  reports: Map<string, (report: PeerReport) => void>;
}

async function startPeerProcess(context: BenchContext, kind: "graphile" | "pgboss", schema: string): Promise<PeerProc> {
  const logFile = join(context.dir, `${kind}.log`);
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, [PEER_SCRIPT, kind, context.url, schema, String(context.parallelism), String(context.pgbossBatch)], { stdio: ["ignore", log, log, "ipc"], cwd: context.dir });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const reports = new Map<string, (report: PeerReport) => void>();
  const ready = new Promise<void>((resolve, reject) => {
    child.on("message", (message: { ready?: boolean } & Partial<PeerReport>) => {
      if (message.ready) resolve();
      else if (message.tag !== undefined) reports.get(message.tag)?.(message as PeerReport);
    });
    void exited.then((code) => reject(new Error(`the ${kind} worker exited ${code}: ${readFileSync(logFile, "utf8").slice(-2000)}`)));
  });
  await Promise.race([ready, sleep(60_000).then(() => Promise.reject(new Error(`the ${kind} worker was not ready within 60 s`)))]).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  return { child, exited, reports };
}


/** Adds a job; `tag` makes it the latency job (date +%s%N) that the worker reports. */
type Add = (tag?: string) => Promise<void>;

function peerSystem(context: BenchContext, key: string, label: string, peer: PeerProc, clientName: string, add: Add, pending: System["pending"], closeClient: () => Promise<void>): System {
  let tags = 0;
  let made = 0;
  return {
    key,
    label,
    submit: () => (made++, add()),
    pending,
    async once() {
      const tag = String(++tags);
      made++;
      const reported = new Promise<PeerReport>((resolve) => peer.reports.set(tag, resolve));
      const sentNs = context.realtimeNs();
      await add(tag);
      const report = await Promise.race([reported, sleep(30_000).then(() => Promise.reject(new Error(`${label}: job ${tag} did not run within 30 s`)))]);
      peer.reports.delete(tag);
      return { sentNs, spawnNs: BigInt(report.spawnNs), ranNs: BigInt(report.ranNs) };
    },
    attribution: () => ({ pids: [peer.child.pid!], applicationNames: [clientName] }),
    processes: () => ({ worker: [peer.child.pid!] }),
    made: () => made,
    async stop() {
      await closeClient();
      await stopChild(peer);
    },
  };
}

export async function startGraphile(context: BenchContext): Promise<System> {
  const schema = newSchema(context, "graphile");
  // The worker first: it makes the schema (graphile-worker's migrations).
  const peer = await startPeerProcess(context, "graphile", schema);
  const clientName = `bench graphile client ${randomBytes(3).toString("hex")}`;
  let utils: WorkerUtils;
  try {
    utils = await makeWorkerUtils({ connectionString: withParam(context.url, "application_name", clientName), schema });
  } catch (error) {
    await stopChild(peer);
    throw error;
  }
  const pending: System["pending"] = async (poll) => {
    // A job that succeeded is deleted; one that failed stays, with its error, for a retry later.
    const { rows } = await poll.query<{ open: number; failed: number }>(`SELECT count(*)::int AS open, count(*) FILTER (WHERE last_error IS NOT NULL)::int AS failed FROM ${schema}._private_jobs`);
    return rows[0]!;
  };
  return peerSystem(context, "graphile", `graphile-worker (concurrency ${context.parallelism})`, peer, clientName, async (tag) => void (await utils.addJob("work", tag === undefined ? {} : { tag })), pending, async () => await utils.release());
}

export async function startPgBoss(context: BenchContext): Promise<System> {
  const schema = newSchema(context, "pgboss");
  const peer = await startPeerProcess(context, "pgboss", schema);
  const clientName = `bench pg-boss client ${randomBytes(3).toString("hex")}`;
  // A client that only sends: no maintenance or cron of its own (the worker process has those).
  const boss = new PgBoss({ connectionString: context.url, schema, application_name: clientName, supervise: false, schedule: false, migrate: false });
  boss.on("error", () => {});
  try {
    await boss.start();
  } catch (error) {
    await stopChild(peer);
    throw error;
  }
  const pending: System["pending"] = async (poll) => {
    const { rows } = await poll.query<{ open: number; failed: number }>(`SELECT count(*) FILTER (WHERE state < 'completed')::int AS open, count(*) FILTER (WHERE state = 'failed')::int AS failed FROM ${schema}.job WHERE name = 'work'`);
    return rows[0]!;
  };
  const add: Add = async (tag) => {
    const id = await boss.send("work", tag === undefined ? {} : { tag });
    if (id === null) throw new Error("pg-boss did not take the job");
  };
  return peerSystem(context, "pgboss", `pg-boss (${context.parallelism} workers, batches of ${context.pgbossBatch})`, peer, clientName, add, pending, () => boss.stop({ graceful: false, wait: true, close: true }));
}
