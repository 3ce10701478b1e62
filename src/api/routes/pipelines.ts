/** Definitions in (apply), pipelines out, and runs started from a pipeline. */
import { MAX_SEED } from "../../engine/runs/seed.js";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { flag, nameParam, runId, seqCursor, wholeNumber } from "../params.js";
import { route } from "../route.js";
import { changeSet, pipelineDetail, pipelineSummary, runObject, watchLease } from "../schemas.js";

export const pipelineParams = z.strictObject({ ns: nameParam("namespace"), name: nameParam("pipeline") });

const applyBody = z.strictObject({
  text: z.string().min(1, { error: "expected the definitions file's text (YAML or JSON)" }),
  file_name: z.string().max(500).optional().meta({ description: "Shown in error positions; default spire.yaml." }),
  namespace: nameParam("namespace").optional(),
  default_namespace: nameParam("namespace").optional().meta({ description: "Used when neither namespace nor the file names one." }),
  prune: z.boolean().optional(),
  dry_run: z.boolean().optional(),
  origin: z
    .strictObject({ host: z.string().max(500).optional(), user: z.string().max(500).optional(), path: z.string().max(4096).nullable().optional() })
    .optional(),
});

const apply = route({
  method: "POST",
  path: "/apply",
  scope: "admin",
  tag: "definitions",
  summary: "Validate and upsert a definitions file (YAML as text/yaml, or JSON {text, …}); answers with the change set.",
  query: z.strictObject({
    ns: nameParam("namespace").optional().meta({ description: "Overrides the file's namespace." }),
    prune: flag.optional().meta({ description: "Remove pipelines of the namespace that the file no longer has." }),
    dry_run: flag.optional(),
  }),
  body: applyBody,
  textBody: true,
  responses: [
    { status: 200, description: "What was created, changed, unchanged and removed.", schema: changeSet },
    { status: 422, description: "invalid_definitions: details is the list of errors with file, line, column and key path." },
  ],
  async handler({ actor, query, body, text, deps }) {
    const given = text !== undefined ? { text } : body;
    if (given.text.trim() === "") throw new ApiError("bad_request", "body: the definitions text is empty", ["body: empty"]);
    const fromJson = text === undefined ? body : undefined;
    // Said twice, differently (a dry run asked for in one place and not in the other): refused, not guessed.
    const conflicts = (["ns:namespace", "prune:prune", "dry_run:dry_run"] as const).flatMap((pair) => {
      const [inQuery, inBody] = pair.split(":") as [keyof typeof query, keyof NonNullable<typeof fromJson>];
      const [a, b] = [query[inQuery], fromJson?.[inBody]];
      return a !== undefined && b !== undefined && a !== b ? [`query.${inQuery} (${JSON.stringify(a)}) and body.${inBody} (${JSON.stringify(b)}) disagree: give it in one place`] : [];
    });
    if (conflicts.length > 0) throw new ApiError("bad_request", conflicts.join("; "), conflicts);
    return deps.service.apply(actor!, {
      text: given.text,
      fileName: fromJson?.file_name,
      namespace: query.ns ?? fromJson?.namespace,
      defaultNamespace: fromJson?.default_namespace,
      prune: query.prune ?? fromJson?.prune ?? false,
      dryRun: query.dry_run ?? fromJson?.dry_run ?? false,
      origin: fromJson?.origin,
    });
  },
});

const list = route({
  method: "GET",
  path: "/pipelines",
  scope: "read",
  tag: "pipelines",
  summary: "Pipelines with their triggers in plain words, next fire time, last result, and (with recent=N) their newest runs: a page of every pipeline in one request.",
  query: z.strictObject({
    namespace: nameParam("namespace").optional(),
    recent: wholeNumber(0, 50, "expected how many of each pipeline's newest runs: a whole number from 0 to 50")
      .default(0)
      .meta({ description: "Each pipeline's newest this many runs in `recent` (id, state, created_at, duration_ms), all read at once. Default 0: none, so that clients that do not show them do not pay for them." }),
  }),
  responses: [{ status: 200, description: "The pipelines.", schema: z.object({ pipelines: z.array(pipelineSummary) }) }],
  async handler({ query, reply, deps }) {
    reply.type("application/json; charset=utf-8");
    return deps.service.listPipelinesJson(query.namespace, { recent: query.recent });
  },
});

const get = route({
  method: "GET",
  path: "/pipelines/{ns}/{name}",
  scope: "read",
  tag: "pipelines",
  summary: "One pipeline with its definition (also as YAML), its origin, and the next slots of each time trigger with the DST changes between them marked.",
  params: pipelineParams,
  query: z.strictObject({
    next: wholeNumber(0, 100, "expected how many next slots of each trigger: a whole number from 0 to 100")
      .default(10)
      .meta({ description: "How many next slots of each time trigger to give in trigger_info[].next." }),
  }),
  responses: [{ status: 200, description: "The pipeline.", schema: pipelineDetail }, { status: 404, description: "No such pipeline." }],
  async handler({ params, query, deps }) {
    return deps.service.getPipeline(params.ns, params.name, { next: query.next });
  },
});

const remove = route({
  method: "DELETE",
  path: "/pipelines/{ns}/{name}",
  scope: "admin",
  tag: "pipelines",
  summary: "Remove a pipeline (its past runs stay).",
  params: pipelineParams,
  status: 204,
  responses: [{ status: 204, description: "Removed." }, { status: 404, description: "No such pipeline." }],
  async handler({ actor, params, deps }) {
    await deps.service.deletePipeline(actor!, params.ns, params.name);
  },
});

const startRun = route({
  method: "POST",
  path: "/pipelines/{ns}/{name}/runs",
  scope: "run",
  tag: "runs",
  summary: "Start a run with arguments.",
  params: pipelineParams,
  body: z.strictObject({
    args: z.record(z.string().max(200), z.unknown()).optional().meta({ description: "Run arguments by name; checked against the pipeline's args." }),
    partition: z.string().min(1).max(200).optional().meta({ description: "The queue partition of this run." }),
    seed: z
      .number()
      .int()
      .min(0)
      .max(MAX_SEED)
      .optional()
      .meta({ description: "SPIRE_SEED of the run's attempts, to replay a run that drew these random numbers (default: chosen at random, shown as the run's seed)." }),
    caused_by: runId
      .optional()
      .meta({
        description:
          "The run whose task or notify command asks for this one (its SPIRE_RUN_ID; spire run sends it): the new run is one more in that run's chain (trigger.caused_by, trigger.depth), refused past 32 in a row (409). An unknown run starts no chain.",
      }),
  }),
  status: 201,
  responses: [
    { status: 201, description: "The run, as created.", schema: runObject },
    { status: 404, description: "No such pipeline." },
    { status: 409, description: "queue_full: the pipeline's queue refused the run; conflict: the run would be the 33rd in a chain of runs started from inside runs (caused_by)." },
    { status: 422, description: "invalid_args: details list the bad arguments." },
  ],
  async handler({ actor, params, body, reply, deps }) {
    const run = await deps.service.startRun(actor!, params.ns, params.name, {
      args: body.args ?? {},
      partition: body.partition,
      ...(body.seed !== undefined ? { seed: body.seed } : {}),
      ...(body.caused_by !== undefined ? { causedBy: body.caused_by } : {}),
    });
    reply.header("location", `/api/v1/runs/${encodeURIComponent(run.id)}`);
    return run;
  },
});

const pauseBody = z.strictObject({
  reason: z
    .string()
    .trim()
    .min(1, { error: "a reason is some words, or leave it out" })
    .max(500, { error: "a reason is at most 500 characters" })
    .optional()
    .meta({ description: "Why: shown as paused_reason until it is resumed (the body may be left out)." }),
});

function pauseRoute(paused: boolean) {
  return route({
    method: "POST",
    path: `/pipelines/{ns}/{name}/${paused ? "pause" : "resume"}`,
    scope: "run",
    tag: "pipelines",
    summary: paused
      ? "Stop the pipeline's triggers (runs started by hand still run); a reason, if given, is shown with it until it is resumed."
      : "Restart the pipeline's triggers.",
    params: pipelineParams,
    ...(paused ? { body: pauseBody } : {}),
    responses: [{ status: 200, description: "The pipeline.", schema: pipelineSummary }, { status: 404, description: "No such pipeline." }],
    async handler({ actor, params, body, deps }) {
      const reason = (body as z.output<typeof pauseBody> | undefined)?.reason;
      return deps.service.setPaused(actor!, params.ns, params.name, paused, reason !== undefined ? { reason } : {});
    },
  });
}

/** The watcher's own id, made at random by each `spire watch`: only an id, never a path or a command. */
const leaseBody = z.strictObject({
  holder: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,64}$/, { error: "holder is 8 to 64 letters, digits, _ or -: an id the watcher makes at random" })
    .optional()
    .meta({ description: "The watcher's own id: while one holder renews the lease, another's renewal is refused (409)." }),
});

/** `spire watch` renews this while it runs; nothing but the pipeline's name and the watcher's id comes from the request. */
const lease = route({
  method: "POST",
  path: "/pipelines/{ns}/{name}/lease",
  scope: "run",
  tag: "pipelines",
  summary:
    "Take or renew the lease of a pipeline made by spire watch: it fires only while its watcher renews this (every renew_every_ms); a term without a renewal pauses it and cancels its runs under way. Renewing one paused that way resumes it.",
  params: pipelineParams,
  body: leaseBody,
  responses: [
    { status: 200, description: "The lease.", schema: watchLease },
    { status: 404, description: "No such pipeline." },
    {
      status: 409,
      description: "conflict: the pipeline was not made by spire watch, and holds no lease; or another watcher (another holder) holds its lease (details.held, details.expires_at).",
    },
  ],
  async handler({ params, body, deps }) {
    return deps.service.renewWatchLease(params.ns, params.name, (body as z.output<typeof leaseBody> | undefined)?.holder);
  },
});

const isoTime = z.string().meta({ format: "date-time" });

const missedPage = z
  .object({
    missed: z.array(
      z.object({
        seq: z.number().int(),
        namespace: z.string(),
        pipeline: z.string(),
        trigger_key: z.string().meta({ description: "The trigger: its index in `triggers` and its kind, such as 0:cron." }),
        detected_at: isoTime,
        count: z.number().int().meta({ description: "How many slots did not run (at least this many when count_exact is false)." }),
        count_exact: z.boolean(),
        first_slot: isoTime,
        last_slot: isoTime,
        slots: z.array(isoTime).meta({ description: "Up to 100 of them, the newest, oldest first." }),
        reason: z.string(),
        run_id: z.string().nullable().meta({ description: "The run the same catch-up started (catchup: latest or all)." }),
      }),
    ),
    next_cursor: z.number().int().nullable(),
  })
  .meta({ id: "MissedPage" });

const missed = route({
  method: "GET",
  path: "/pipelines/{ns}/{name}/missed",
  scope: "read",
  tag: "pipelines",
  summary: "Slots of the pipeline's time triggers that did not run (engine down, machine asleep, catchup policy), newest first: one record per trigger per look, with a count.",
  params: pipelineParams,
  query: z.strictObject({
    limit: wholeNumber(1, 1000).default(100),
    before: seqCursor.optional().meta({ description: "next_cursor of the previous page." }),
    run: runId.optional().meta({ description: "Only the records of the look that started this run (the slots its catch-up passed over)." }),
  }),
  responses: [{ status: 200, description: "One page of missed records.", schema: missedPage }, { status: 404, description: "No such pipeline." }],
  async handler({ params, query, deps }) {
    return deps.service.listMissed(params.ns, params.name, {
      limit: query.limit,
      ...(query.before !== undefined ? { before: query.before } : {}),
      ...(query.run !== undefined ? { run: query.run } : {}),
    });
  },
});

export const pipelineRoutes = [apply, list, get, remove, startRun, pauseRoute(true), pauseRoute(false), lease, missed];
