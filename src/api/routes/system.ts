/** Health (the one open route), the OpenAPI document and Prometheus metrics. */
import { route } from "../route.js";
import { health as healthSchema } from "../schemas.js";

const health = route({
  method: "GET",
  path: "/health",
  scope: "open",
  tag: "system",
  summary: "Liveness; 503 while the engine drains.",
  responses: [
    { status: 200, description: "Up.", schema: healthSchema },
    { status: 503, description: "Draining: finishing its runs before it stops.", schema: healthSchema },
  ],
  async handler({ reply, deps }) {
    const state = deps.service.health();
    reply.code(state.status === "ok" ? 200 : 503);
    return state;
  },
});

const openapi = route({
  method: "GET",
  path: "/openapi.json",
  scope: "read",
  tag: "system",
  summary: "This API as an OpenAPI 3.1 document.",
  responses: [{ status: 200, description: "The document." }],
  async handler({ deps }) {
    return deps.openapi();
  },
});

const metrics = route({
  method: "GET",
  path: "/metrics",
  scope: "read",
  tag: "system",
  summary: "Prometheus text exposition format.",
  responses: [{ status: 200, description: "Metrics.", contentType: "text/plain; version=0.0.4" }],
  async handler({ reply, deps }) {
    reply.type("text/plain; version=0.0.4; charset=utf-8");
    return deps.service.metrics();
  },
});

export const systemRoutes = [health, openapi, metrics];
