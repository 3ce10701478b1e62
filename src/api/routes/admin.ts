/** Namespaces, the audit log and API tokens. */
import { z } from "zod";
import { TokenNameTakenError } from "../../store/errors.js";
import { ApiError } from "../errors.js";
import { listParam, nameParam, seqCursor, timeParam, ttl, wholeNumber } from "../params.js";

/** `run.start`, `apply`, or `run.*` for a family of actions. */
const isAction = (value: string): value is string => /^[a-z][a-z_]*(?:\.[a-z_]+)*(?:\.\*)?$/.test(value);
import { route } from "../route.js";
import { auditPage, namespaceInfo, tokenInfo, tokenScope } from "../schemas.js";

const namespaces = route({
  method: "GET",
  path: "/namespaces",
  scope: "read",
  tag: "definitions",
  summary: "Namespaces with their origin (host, user, file, applied at, author).",
  responses: [{ status: 200, description: "The namespaces.", schema: z.object({ namespaces: z.array(namespaceInfo) }) }],
  async handler({ deps }) {
    return { namespaces: await deps.service.listNamespaces() };
  },
});

const audit = route({
  method: "GET",
  path: "/audit",
  scope: "admin",
  tag: "admin",
  summary: "Who changed or started what, when; newest first; filtered by actor, action, target and time.",
  query: z
    .strictObject({
      limit: wholeNumber(1, 1000).default(100),
      before: seqCursor.optional().meta({ description: "next_cursor of the previous page (with the same filters)." }),
      actor: z.string().min(1).max(200, { error: "an actor is at most 200 characters" }).optional().meta({ description: "Entries of this actor: a token's name, `local`, `webhook`, `engine (…)`." }),
      action: listParam(isAction, "actions such as run.start or pipeline.pause, or run.* for all of run., comma-separated")
        .optional()
        .meta({ description: "Entries with any of these actions (apply, run.start, run.cancel, run.retry, pipeline.pause, pipeline.resume, pipeline.delete, token.create, token.revoke, gc, …); `run.*` stands for every action that starts with `run.`. Comma-separated or repeated." }),
      target: z.string().min(1).max(500, { error: "a target is at most 500 characters" }).optional().meta({ description: "Entries done to this: a namespace, `ns/pipeline`, a run id, a token id." }),
      since: timeParam.optional().meta({ description: "Entries at or after this time: epoch ms or ISO 8601." }),
      until: timeParam.optional().meta({ description: "Entries before this time: epoch ms or ISO 8601." }),
    })
    .refine((query) => query.since === undefined || query.until === undefined || query.since < query.until, {
      path: ["until"],
      error: "is not after since: no entry can match; give an until later than since",
    }),
  responses: [{ status: 200, description: "One page of entries.", schema: auditPage }],
  async handler({ query, deps }) {
    const { action, ...rest } = query;
    return deps.service.listAudit({ ...rest, ...(action !== undefined ? { actions: action } : {}) });
  },
});

const createToken = route({
  method: "POST",
  path: "/tokens",
  scope: "admin",
  tag: "admin",
  summary: "Make an API token; the token itself is in this answer only.",
  body: z.strictObject({
    name: nameParam("token"),
    scope: tokenScope,
    ttl: ttl.optional().meta({ description: "Lifetime: 12h, 30d, or seconds; default: no expiry." }),
  }),
  status: 201,
  responses: [
    { status: 201, description: "The token (shown once) and its record.", schema: z.object({ token: z.string(), info: tokenInfo }) },
    { status: 409, description: "A token with this name exists." },
  ],
  async handler({ actor, body, deps }) {
    try {
      return await deps.auth.issue({ name: body.name, scope: body.scope, ttlMs: body.ttl }, actor);
    } catch (error) {
      if (error instanceof TokenNameTakenError) throw new ApiError("conflict", `a token named ${JSON.stringify(body.name)} exists: choose another name or revoke it first`);
      throw error;
    }
  },
});

const listTokens = route({
  method: "GET",
  path: "/tokens",
  scope: "admin",
  tag: "admin",
  summary: "API tokens (never the tokens themselves), newest first.",
  responses: [{ status: 200, description: "The tokens.", schema: z.object({ tokens: z.array(tokenInfo) }) }],
  async handler({ deps }) {
    return { tokens: await deps.auth.list() };
  },
});

const revokeToken = route({
  method: "DELETE",
  path: "/tokens/{id}",
  scope: "admin",
  tag: "admin",
  summary: "Revoke a token; it is refused from the next request on.",
  params: z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "expected a token id" }) }),
  status: 204,
  responses: [{ status: 204, description: "Revoked." }, { status: 404, description: "No such token, or already revoked." }],
  async handler({ actor, params, deps }) {
    if (!(await deps.auth.revoke(params.id, actor))) throw new ApiError("not_found", `no token ${params.id} that is not revoked`, { hint: "see the tokens and their ids with: spire token list" });
  },
});

export const adminRoutes = [namespaces, audit, createToken, listTokens, revokeToken];
