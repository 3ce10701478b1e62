/** A run's artifacts: the list, and one file as a download. */
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { runId, taskPath } from "../params.js";
import { API_PREFIX } from "../register.js";
import { route } from "../route.js";

const artifactEntry = z
  .object({
    task: z.string().meta({ description: "The task path, such as dump, checks/size or shards[2]." }),
    name: z.string().meta({ description: "The file's path inside the task's artifact folder (`/` between parts)." }),
    size: z.number().int(),
    url: z.string().meta({ description: "Where to download it (under the API's origin)." }),
  })
  .meta({ id: "Artifact" });

/** The task's parts as they are, the name as one part: a `/` inside the name travels as %2F. */
export function artifactUrl(id: string, task: string, name: string): string {
  return `${API_PREFIX}/runs/${id}/artifacts/${task.split("/").map(encodeURIComponent).join("/")}/${encodeURIComponent(name)}`;
}

const list = route({
  method: "GET",
  path: "/runs/{id}/artifacts",
  scope: "read",
  tag: "runs",
  summary: "The files a run's tasks kept (their `artifacts:` and what they wrote to $SPIRE_ARTIFACTS).",
  params: z.strictObject({ id: runId }),
  responses: [
    { status: 200, description: "The artifacts, task by task.", schema: z.object({ artifacts: z.array(artifactEntry) }) },
    { status: 404, description: "No such run." },
  ],
  async handler({ params, deps }) {
    const entries = await deps.service.listArtifacts(params.id);
    return { artifacts: entries.map((entry) => ({ ...entry, url: artifactUrl(params.id, entry.task, entry.name) })) };
  },
});

const DOWNLOAD_PATH = new RegExp(`^${API_PREFIX}/runs/([^/]+)/artifacts/(.+)/([^/]+)$`);

/**
 * Split from the raw URL (the router cannot: a task path holds `/`): the
 * last part is the name, the parts before it the task; each part decoded
 * exactly once, so `%252e` stays `%2e` and matches nothing the run has.
 */
function downloadParams(request: FastifyRequest): unknown {
  const path = request.raw.url?.split("?")[0] ?? "";
  const match = DOWNLOAD_PATH.exec(path);
  if (!match) throw new ApiError("not_found", `no route ${request.method} ${path}`);
  try {
    return { id: decodeURIComponent(match[1]!), task: match[2]!.split("/").map(decodeURIComponent).join("/"), name: decodeURIComponent(match[3]!) };
  } catch {
    throw new ApiError("bad_request", "the path is not valid percent-encoding", ["path: bad percent-encoding"]);
  }
}

const artifactName = z
  .string()
  .min(1)
  .max(1000, { error: "an artifact name is at most 1000 characters" })
  .regex(/^[^\u0000-\u001f\u007f]+$/, { error: "an artifact name has no control characters" })
  .refine((name) => !name.startsWith("/") && !name.split("/").some((part) => part === "" || part === "." || part === ".."), {
    error: "expected an artifact name as GET /runs/{id}/artifacts lists it: a relative path without '.' or '..' parts",
  });

/** `attachment`, with a plain ASCII fallback name and the real one in RFC 5987 form. */
function contentDisposition(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const plain = base.replace(/[^A-Za-z0-9._-]/g, "_") || "artifact";
  return `attachment; filename="${plain}"; filename*=UTF-8''${encodeURIComponent(base)}`;
}

const download = route({
  method: "GET",
  path: "/runs/{id}/artifacts/{task}/{name}",
  scope: "read",
  tag: "runs",
  summary: "One artifact's bytes. Take the URL from the list: the task path's `/` as is, the name as one part (its `/` as %2F).",
  params: z.strictObject({ id: runId, task: taskPath, name: artifactName }),
  rawParams: downloadParams,
  responses: [
    { status: 200, description: "The file.", contentType: "application/octet-stream" },
    { status: 404, description: "No such run, task or artifact." },
  ],
  async handler({ params, reply, deps }) {
    const download = await deps.service.openArtifact(params.id, params.task, params.name);
    reply.header("content-type", "application/octet-stream");
    reply.header("content-length", download.size);
    reply.header("content-disposition", contentDisposition(download.name));
    if (download.size === 0) {
      await download.close();
      return reply.send(Buffer.alloc(0));
    }
    // Exactly the bytes the length announced: the stream ends with its last byte (no read to find EOF,
    // which a client that already has them all does not wait for), even if the file grows meanwhile.
    return reply.send(download.read());
  },
});

export const artifactRoutes = [list, download];
