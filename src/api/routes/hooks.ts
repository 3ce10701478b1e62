/**
 * Webhook triggers: `POST /hooks/{ns}/{name}` with the pipeline's own hook
 * token (not an API token: it can start that one pipeline and nothing else),
 * `GET /pipelines/{ns}/{name}/hook` for the URL and token, and
 * `POST …/hook/rotate` for a new token (admin).
 */
import { hookInfo } from "../hook-info.js";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { route } from "../route.js";
import { runObject } from "../schemas.js";
import { pipelineParams } from "./pipelines.js";


function hookTokenOf(headers: Record<string, unknown>): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === "string" && authorization.startsWith("Bearer ")) return authorization.slice(7).trim();
  const header = headers["x-spire-hook-token"];
  return typeof header === "string" ? header.trim() : undefined;
}

const hookInfoSchema = z.object({ path: z.string(), token: z.string(), enabled: z.boolean() });

const fire = route({
  method: "POST",
  path: "/hooks/{ns}/{name}",
  scope: "open",
  tag: "triggers",
  summary: "Fire a pipeline's webhook trigger. Authenticated by the pipeline's hook token (Authorization: Bearer, or X-Spire-Hook-Token), not by an API token.",
  params: pipelineParams,
  body: z.strictObject({ args: z.record(z.string().max(200), z.unknown()).optional().meta({ description: "Run arguments; they override the trigger's own." }) }).optional(),
  status: 201,
  responses: [
    { status: 201, description: "The run, as created.", schema: runObject },
    { status: 401, description: "No hook token, or not this pipeline's." },
    { status: 404, description: "No such pipeline, or it has no webhook trigger." },
    { status: 409, description: "queue_full, or the pipeline is paused." },
  ],
  async handler({ params, body, headers, reply, deps }) {
    const token = hookTokenOf(headers);
    // Unknown pipelines answer 401 too: a caller without the token learns nothing.
    if (!token || !(await deps.auth.verifyHookToken(params.ns, params.name, token))) {
      throw new ApiError("unauthorized", "this webhook needs the pipeline's hook token (see: spire hook PIPELINE)");
    }
    const run = await deps.service.startHookRun(params.ns, params.name, body?.args ?? {});
    reply.header("location", `/api/v1/runs/${run.id}`);
    return run;
  },
});

const show = route({
  method: "GET",
  path: "/pipelines/{ns}/{name}/hook",
  scope: "admin",
  tag: "triggers",
  summary: "The pipeline's webhook URL (path) and hook token.",
  params: pipelineParams,
  responses: [{ status: 200, description: "Where to POST and with which token.", schema: hookInfoSchema }],
  async handler({ params, deps }) {
    return hookInfo(deps.service, deps.auth, params.ns, params.name);
  },
});

const rotate = route({
  method: "POST",
  path: "/pipelines/{ns}/{name}/hook/rotate",
  scope: "admin",
  tag: "triggers",
  summary: "Change the pipeline's hook token: the one before stops working at once, on every engine sharing the store. For a token that leaked.",
  params: pipelineParams,
  responses: [
    { status: 200, description: "Where to POST and with which token, the new one.", schema: hookInfoSchema },
    { status: 404, description: "No such pipeline." },
  ],
  async handler({ params, deps, actor }) {
    await deps.service.getPipeline(params.ns, params.name);
    await deps.auth.rotateHook(params.ns, params.name, actor!);
    return hookInfo(deps.service, deps.auth, params.ns, params.name);
  },
});

export const hookRoutes = [fire, show, rotate];
