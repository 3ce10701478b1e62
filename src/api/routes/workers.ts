/**
 * The routes workers use (scope `worker`): register, hold the assignment
 * stream open, post reports. See src/workers/protocol.ts for what goes over
 * them. An engine started without workers (a CLI command's own engine)
 * answers 404 to all three.
 */
import { z } from "zod";
import { ServiceError } from "../../engine/service.js";
import type { WorkerHub } from "../../workers/hub.js";
import type { Assignment, RegisterRequest, ReportsRequest } from "../../workers/protocol.js";
import { route, type ApiDeps } from "../route.js";
import { SseResponse } from "../sse.js";
import { open } from "node:fs/promises";
import { artifactNameProblem, attemptParts, inputPath, listInputs, storeChunk } from "../../workers/artifact-exchange.js";

const LABEL = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/;
const label = z.string().regex(LABEL, "a label is 1–64 of A–Z a–z 0–9 . _ - (not starting with -)");
const workerName = z
  .string()
  .regex(LABEL, "a worker's name is 1–64 of A–Z a–z 0–9 . _ - (not starting with -)")
  .refine((name) => !/^\.+$/.test(name), "a worker's name is not only dots (. and .. read as folders)");
const absolutePath = z.string().min(1).max(4096).refine((path) => path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path), "must be an absolute path");
const attemptId = z.string().min(1).max(2000);

const registerBody = z.strictObject({
  name: workerName.meta({ description: "Unique among the engine's workers; the same name after a restart is the same worker.", example: "gpu-box" }),
  labels: z.array(label).max(64).meta({ description: "What it offers; tasks whose runs_on labels it all has may run on it.", example: ["gpu", "linux"] }),
  tasks: z.number().int().min(1).max(100_000).meta({ description: "Attempts it runs at once at most." }),
  cpus: z.number().positive().max(1_000_000),
  memory_bytes: z.number().int().positive(),
  version: z.string().max(100),
  host: z.string().max(255),
  data_dir: absolutePath,
  work_dir: absolutePath,
  node_path: z.string().min(1).max(4096),
  running: z.array(attemptId).max(100_000).meta({ description: "Attempts its supervisor still runs (after a restart)." }),
  allow_insecure: z
    .boolean()
    .default(false)
    .meta({ description: "The user said the network to the engine is private (spire worker --allow-insecure): only then are tasks' secrets sent to this worker over plain http from another machine." }),
});

const registerAnswer = z.object({ session: z.string(), lease_ms: z.number().int(), heartbeat_ms: z.number().int(), stop: z.array(z.string()) }).meta({ id: "WorkerRegistration" });

/** How an attempt ended, checked key by key: a malformed end must be refused here, not found out while it is recorded. */
const stream = z.enum(["stdout", "stderr"]);
const epochMs = z.number().int().min(0);
const count = z.number().int().min(0);
const figure = z.number().nullable();
const attemptReport = z.object({
  state: z.enum(["succeeded", "failed", "timed_out", "canceled", "interrupted"]),
  exitCode: z.number().int().nullable(),
  signal: z.string().max(64).nullable(),
  reason: z.string().max(100_000).nullable(),
  pid: z.number().int().positive().nullable(),
  startedAt: epochMs,
  finishedAt: epochMs,
  warnings: count,
  errors: count,
  // A sum past the largest double is Infinity, which JSON sends as null: a figure that overflowed, not a malformed report.
  metrics: z.record(z.string(), z.object({ min: figure, max: figure, mean: figure, sum: figure, count })),
  outputs: z.record(z.string(), z.string()),
  tail: z.array(z.object({ ts: epochMs, stream, line: z.string() })).max(1000),
  messages: z.array(z.object({ level: z.enum(["warning", "error"]), text: z.string(), ts: epochMs, stream })).max(1000).optional(),
  cpuMs: z.number().min(0).optional(),
  peakRssBytes: z.number().min(0).optional(),
});

const report = z.discriminatedUnion("kind", [
  z.strictObject({ attempt: attemptId, kind: z.literal("started"), pid: z.number().int(), started_at: z.number() }),
  z.strictObject({ attempt: attemptId, kind: z.literal("log"), offset: z.number().int().min(0), text: z.string() }),
  z.strictObject({ attempt: attemptId, kind: z.literal("progress"), done: z.number(), total: z.number() }),
  z.strictObject({ attempt: attemptId, kind: z.literal("done"), report: attemptReport, log_bytes: z.number().int().min(0) }),
]);

const reportsBody = z.strictObject({
  session: z.string().min(1).max(100),
  reports: z.array(report).max(10_000),
  running: z.array(attemptId).max(100_000),
});

const reportsAnswer = z
  .object({ log_offsets: z.record(z.string(), z.number()), recorded: z.array(z.string()), stop: z.array(z.string()) })
  .meta({ id: "WorkerReportsAnswer" });

function hubOf(deps: ApiDeps): WorkerHub {
  if (!deps.workers) throw new ServiceError("not_found", "this engine takes no workers (it runs inside a CLI command): point the worker at the engine that `spire engine` runs");
  return deps.workers;
}

const register = route({
  method: "POST",
  path: "/workers/register",
  scope: "worker",
  tag: "workers",
  summary: "A worker says who it is and what it offers (labels, room, where its files are); the answer names its session, its lease and how often to report, and which of the attempts it still runs nobody wants.",
  body: registerBody,
  responses: [{ status: 200, description: "Registered.", schema: registerAnswer }],
  async handler({ body, deps, request }) {
    // Whether this worker's requests come over TLS: secrets go to it in clear only from loopback, or when it said allow_insecure.
    const encrypted = (request.socket as { encrypted?: boolean }).encrypted === true;
    return hubOf(deps).register(body as RegisterRequest, request.socket.remoteAddress ?? null, encrypted);
  },
});

const assignments = route({
  method: "GET",
  path: "/workers/{name}/assignments",
  scope: "worker",
  tag: "workers",
  summary: "The worker's assignment stream (Server-Sent Events): `event: launch` (data: attempt, spec), `event: cancel` and `event: stop` (data: attempt, reason), a heartbeat comment. Open while the worker is there; one per session.",
  params: z.strictObject({ name: workerName }),
  query: z.strictObject({ session: z.string().min(1).max(100).meta({ description: "From the registration." }) }),
  responses: [{ status: 200, description: "An event stream.", contentType: "text/event-stream" }],
  async handler({ params, query, reply, deps }) {
    const worker = hubOf(deps).worker(params.name, query.session);
    reply.hijack();
    // Heartbeats as often as the worker reports: a worker that hears nothing for three of them takes the stream as dead.
    const sse = new SseResponse(reply.raw, deps.workers!.heartbeatMs, deps.streams);
    const send = (assignment: Assignment) => sse.event(assignment.type, assignment);
    worker.attach(send);
    sse.onEnd(() => worker.detach(send));
    return reply;
  },
});

const reports = route({
  method: "POST",
  path: "/workers/{name}/reports",
  scope: "worker",
  tag: "workers",
  summary: "What the worker's attempts did since its last report (started, log ranges, progress, ends), and which still run; sent at least every heartbeat_ms. The answer says how much of each log the engine has, which ends are recorded, and which attempts to stop.",
  params: z.strictObject({ name: workerName }),
  body: reportsBody,
  responses: [{ status: 200, description: "What the engine made of it.", schema: reportsAnswer }],
  async handler({ params, body, deps }) {
    return hubOf(deps).receive(params.name, body as ReportsRequest);
  },
});

const session = z.string().min(1).max(100).meta({ description: "From the registration." });

const artifactUpload = route({
  method: "POST",
  path: "/workers/{name}/artifacts",
  scope: "worker",
  tag: "workers",
  summary:
    "A chunk of a file the attempt's artifact patterns matched on the worker, into the task's artifact folder on the engine: offset 0 starts the file (again); a chunk that does not follow what is there is refused, with the size there. " +
    "A file the run has no room for under its artifact limit (spire engine --artifact-limit, all its tasks together, through every engine) is refused whole, with `refused` saying why: send no more of it.",
  params: z.strictObject({ name: workerName }),
  body: z.strictObject({
    session,
    attempt: attemptId,
    name: z.string().min(1).max(4096).meta({ description: "Its path relative to the task's cwd, as the pattern matched it.", example: "dist/app.tar.gz" }),
    offset: z.number().int().min(0),
    data: z.base64().max(2 * 1024 * 1024).meta({ description: "The chunk, base64 (at most 1.5 MiB of bytes)." }),
    size: z.number().int().min(0).optional().meta({ description: "The whole file's size: the room the run needs for it, decided at its first chunk. Without it, each chunk asks for the file as far as it goes." }),
  }),
  responses: [
    {
      status: 200,
      description: "How much of the file the engine has.",
      schema: z
        .object({
          size: z.number().int(),
          accepted: z.boolean(),
          refused: z.string().optional().meta({ description: "The file is not kept, and why (the run's artifact limit): send no more of it." }),
        })
        .meta({ id: "ArtifactChunkAnswer" }),
    },
  ],
  async handler({ params, body, deps }) {
    const problem = artifactNameProblem(body.name);
    if (problem) throw new ServiceError("bad_request", problem, [problem]);
    const parts = attemptParts(body.attempt);
    const task = hubOf(deps).attempt(params.name, body.session, body.attempt);
    if (!parts) throw new ServiceError("bad_request", `attempt: ${JSON.stringify(body.attempt)} is not an attempt id`);
    const chunk = { name: body.name, offset: body.offset, data: Buffer.from(body.data, "base64"), ...(body.size === undefined ? {} : { size: body.size }) };
    // Through its run, which holds it to the run's artifact limit; an attempt no run follows here (one of a run being ended) as it comes.
    if (task.events.onArtifactChunk) return task.events.onArtifactChunk(chunk);
    return storeChunk(deps.workers!.dataDir, parts.runId, parts.path, chunk.name, chunk.offset, chunk.data);
  },
});

const inputList = route({
  method: "GET",
  path: "/workers/{name}/inputs",
  scope: "worker",
  tag: "workers",
  summary: "The artifacts of the tasks an attempt depends on (task path, name relative to that task's folder, size), to fetch before it starts.",
  params: z.strictObject({ name: workerName }),
  query: z.strictObject({ session, attempt: attemptId }),
  responses: [{ status: 200, description: "The files.", schema: z.object({ files: z.array(z.object({ task: z.string(), name: z.string(), size: z.number().int() })) }).meta({ id: "WorkerInputs" }) }],
  async handler({ params, query, deps }) {
    const inputs = hubOf(deps).attempt(params.name, query.session, query.attempt).spec?.artifacts?.inputs ?? [];
    const parts = attemptParts(query.attempt)!;
    return { files: await listInputs(deps.workers!.dataDir, parts.runId, inputs) };
  },
});

const inputFile = route({
  method: "GET",
  path: "/workers/{name}/inputs/file",
  scope: "worker",
  tag: "workers",
  summary: "One file of /workers/{name}/inputs, as bytes.",
  params: z.strictObject({ name: workerName }),
  query: z.strictObject({ session, attempt: attemptId, task: z.string().min(1).max(4096), name: z.string().min(1).max(4096) }),
  responses: [
    { status: 200, description: "The file.", contentType: "application/octet-stream" },
    { status: 404, description: "Not among the attempt's inputs." },
  ],
  async handler({ params, query, deps, reply }) {
    const inputs = hubOf(deps).attempt(params.name, query.session, query.attempt).spec?.artifacts?.inputs ?? [];
    const parts = attemptParts(query.attempt)!;
    const path = inputPath(deps.workers!.dataDir, parts.runId, inputs, query.task, query.name);
    const handle = path === undefined ? undefined : await open(path, "r").catch(() => undefined);
    if (!handle) throw new ServiceError("not_found", `${query.task}/${query.name} is not among the artifacts attempt ${query.attempt} reads`);
    reply.type("application/octet-stream");
    return reply.send(handle.createReadStream());
  },
});

export const workerRoutes = [register, assignments, reports, artifactUpload, inputList, inputFile];
