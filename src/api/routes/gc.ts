/** Retention now (`spire gc`). */
import { z } from "zod";
import { route } from "../route.js";

const removedRun = z
  .object({
    id: z.string(),
    namespace: z.string(),
    pipeline: z.string(),
    state: z.string(),
    finished_at: z.string().nullable(),
    bytes: z.number().int(),
  })
  .meta({ id: "RemovedRun" });

const sweepReport = z
  .object({
    dry_run: z.boolean(),
    removed: z.number().int().meta({ description: "Runs removed (dry: that would be)." }),
    bytes: z.number().int().meta({ description: "Bytes of their logs, records and artifacts." }),
    runs: z.array(removedRun).meta({ description: "At most 1000 of them." }),
    orphans: z.number().int().meta({ description: "Folders of runs that no longer exist, left by an interrupted sweep." }),
    orphan_bytes: z.number().int(),
  })
  .meta({ id: "SweepReport" });

const gc = route({
  method: "POST",
  path: "/gc",
  scope: "admin",
  tag: "admin",
  summary: "Apply retention now: remove finished runs past their pipeline's keep/days (or the engine's defaults), with their logs and artifacts.",
  body: z.strictObject({ dry_run: z.boolean().default(false).meta({ description: "Say what would be removed; remove nothing." }) }),
  responses: [{ status: 200, description: "What was (or would be) removed.", schema: sweepReport }],
  async handler({ actor, body, deps }) {
    return deps.service.collectGarbage(actor!, { dryRun: body.dry_run });
  },
});

export const gcRoutes = [gc];
