/** The definition a run was made with: what it ran, whatever the pipeline has become since. */
import { z } from "zod";
import { runId } from "../params.js";
import { route } from "../route.js";

export const runDefinitionRoute = route({
  method: "GET",
  path: "/runs/{id}/definition",
  scope: "read",
  tag: "runs",
  summary: "The normalised pipeline definition the run was made with (a later apply does not change it); clients draw the run's task tree from it.",
  params: z.strictObject({ id: runId }),
  responses: [
    {
      status: 200,
      description: "The run's definition.",
      schema: z.strictObject({ definition: z.record(z.string(), z.unknown()).meta({ description: "The normalised pipeline definition (see schema/spire.schema.json)." }) }),
    },
    { status: 404, description: "No such run." },
  ],
  async handler({ params, deps }) {
    return { definition: await deps.service.getRunDefinition(params.id) };
  },
});
