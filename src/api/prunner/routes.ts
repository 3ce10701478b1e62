/**
 * prunner's six routes over the engine's service, with prunner's statuses
 * and bodies (server/server.go of Flowpack/prunner): errors are
 * `{"error": "…"}`, a cancel answers `true`, a schedule 202 with `jobId`.
 */
import type { Actor, EngineService } from "../../engine/service.js";
import { ServiceError } from "../../engine/service.js";
import { RUN_ID_PATTERN } from "../../engine/runs/ids.js";
import type { PipelineDef } from "../../definitions/schema.js";
import type { RunObject } from "../../engine/reads/run-object.js";
import { jobOf, type PrunnerJob } from "./jobs.js";
import { pipelineNames, prunnerPipelines, type PipelineNames } from "./pipelines.js";

/** The newest runs /pipelines/jobs shows (prunner-ui polls it every few seconds). */
export const JOBS_SHOWN = 50;
/** Lines of a log read per page. */
const LOG_PAGE = 5000;

/** An answer: its status and its JSON body. */
export interface Answer {
  status: number;
  body: unknown;
}

const error = (status: number, message: string): Answer => ({ status, body: { error: message } });

export class PrunnerRoutes {
  /** A run's definition never changes: read once per run (the newest few hundred kept). */
  private readonly definitions = new Map<string, PipelineDef>();

  constructor(private readonly service: EngineService) {}

  async pipelines(): Promise<Answer> {
    return { status: 200, body: { pipelines: await prunnerPipelines(this.service, await pipelineNames(this.service)) } };
  }

  async pipelinesJobs(): Promise<Answer> {
    const names = await pipelineNames(this.service);
    const pipelines = await prunnerPipelines(this.service, names);
    const { runs } = await this.service.listRuns({ limit: JOBS_SHOWN });
    const jobs: PrunnerJob[] = [];
    for (const summary of runs) {
      const run = await this.service.getRun(summary.id).catch(notFoundAsUndefined);
      if (run) jobs.push(jobOf(run, names.nameOf(run.namespace, run.pipeline), await this.definitionOf(run)));
    }
    return { status: 200, body: { pipelines, jobs } };
  }

  async schedule(actor: Actor, body: unknown): Promise<Answer> {
    if (typeof body !== "object" || body === null || Array.isArray(body)) return error(400, "Error decoding JSON: the body must be an object: {\"pipeline\": NAME, \"variables\": {…}}");
    const { pipeline, variables } = body as { pipeline?: unknown; variables?: unknown };
    if (typeof pipeline !== "string") return error(400, "Error scheduling pipeline: \"pipeline\" must be the name of a pipeline (GET /pipelines/ lists them)");
    if (variables !== undefined && variables !== null && (typeof variables !== "object" || Array.isArray(variables))) return error(400, "Error decoding JSON: \"variables\" must be an object");
    const names = await pipelineNames(this.service);
    const ref = names.find(pipeline);
    if (!ref) return error(400, `Error scheduling pipeline: pipeline ${JSON.stringify(pipeline)} is not defined (GET /pipelines/ lists them)`);
    const { definition } = await this.service.getPipeline(ref.namespace, ref.name, { next: 0 });
    // prunner ignores variables no template uses; so does this: only the pipeline's arguments are passed on.
    const given = (variables ?? {}) as Record<string, unknown>;
    const args = Object.fromEntries(Object.entries(given).filter(([name]) => Object.hasOwn(definition.args, name)));
    try {
      const run = await this.service.startRun(actor, ref.namespace, ref.name, { args });
      return { status: 202, body: { jobId: run.id } };
    } catch (problem) {
      if (!(problem instanceof ServiceError)) throw problem;
      if (problem.code === "unavailable") return error(503, "Server is shutting down");
      const details = Array.isArray(problem.details) ? `: ${problem.details.map(String).join("; ")}` : "";
      return error(400, `Error scheduling pipeline: ${problem.message}${details}`);
    }
  }

  async detail(id: string | undefined): Promise<Answer> {
    const run = await this.findRun(id);
    if ("status" in run) return run;
    const names = await pipelineNames(this.service);
    return { status: 200, body: jobOf(run, names.nameOf(run.namespace, run.pipeline), await this.definitionOf(run)) };
  }

  async logs(id: string | undefined, task: string | undefined): Promise<Answer> {
    if (id === undefined || !RUN_ID_PATTERN.test(id)) return error(400, "Invalid job id");
    if (!task) return error(400, "Invalid task name");
    const run = await this.findRun(id);
    if ("status" in run) return run;
    if (!run.tasks.some((each) => each.path === task)) return error(404, "Task not found");
    const out = { stdout: "", stderr: "" };
    let cursor: string | undefined;
    do {
      const page = await this.service.readLogs(run.id, task, { limit: LOG_PAGE, ...(cursor === undefined ? {} : { cursor }) });
      for (const line of page.lines) out[line.stream] += `${line.line}\n`;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    return { status: 200, body: out };
  }

  async cancel(actor: Actor, id: string | undefined): Promise<Answer> {
    const run = await this.findRun(id);
    if ("status" in run) return run;
    try {
      await this.service.cancelRun(actor, run.id);
    } catch (problem) {
      if (problem instanceof ServiceError && problem.code === "conflict") return error(400, `Error canceling job: ${problem.message}`);
      throw problem;
    }
    return { status: 200, body: true };
  }

  private async findRun(id: string | undefined): Promise<RunObject | Answer> {
    if (id === undefined || !RUN_ID_PATTERN.test(id)) return error(400, "Invalid job id");
    const run = await this.service.getRun(id).catch(notFoundAsUndefined);
    return run ?? error(404, "Job not found");
  }

  private async definitionOf(run: RunObject): Promise<PipelineDef | undefined> {
    const known = this.definitions.get(run.id);
    if (known) return known;
    const definition = await this.service.getRunDefinition(run.id).catch(notFoundAsUndefined);
    if (!definition) return undefined;
    if (this.definitions.size >= 500) this.definitions.delete(this.definitions.keys().next().value!);
    this.definitions.set(run.id, definition);
    return definition;
  }
}

function notFoundAsUndefined(problem: unknown): undefined {
  if (problem instanceof ServiceError && problem.code === "not_found") return undefined;
  throw problem;
}

export type { PipelineNames };
