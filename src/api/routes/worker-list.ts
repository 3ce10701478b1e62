/** The machines that run tasks (`spire workers`): the engine's own, and the workers on other machines it knows. */
import { z } from "zod";
import { route } from "../route.js";

const isoTime = z.string().meta({ format: "date-time" });
const capacity = z
  .object({
    tasks: z.number().int().meta({ description: "Tasks it runs at once at most (its parallelism)." }),
    cpus: z.number().meta({ description: "Cpus its tasks' `resources:` may reserve at once." }),
    memory_bytes: z.number().meta({ description: "Memory its tasks' `resources:` may reserve at once." }),
  })
  .meta({ description: "What it can take." });
const inUse = z
  .object({
    tasks: z.number().int().meta({ description: "Tasks running on it now." }),
    cpus: z.number().meta({ description: "Cpus its running tasks reserve (`resources:`)." }),
    memory_bytes: z.number().meta({ description: "Memory its running tasks reserve (`resources:`)." }),
  })
  .meta({ description: "What is taken now." });

export const workerInfo = z
  .object({
    name: z.string().meta({ description: "Unique among workers; the engine's own machine is named by its host name." }),
    labels: z
      .array(z.string())
      .meta({ description: "What a task's `runs_on:` is matched against; the engine's own machine has `local` and its host name." }),
    local: z.boolean().meta({ description: "True for the engine's own machine." }),
    state: z
      .enum(["connected", "lost", "disconnected"])
      .meta({ description: "connected: it takes tasks; lost: it stopped answering without saying goodbye; disconnected: it left." }),
    version: z.string().nullable().meta({ description: "The Spire version it runs." }),
    host: z.string().nullable().meta({ description: "The host name it reported." }),
    address: z.string().nullable().meta({ description: "The address it connects from; null for the engine's own machine." }),
    capacity,
    in_use: inUse,
    last_seen: isoTime.nullable().meta({ description: "When it was last heard from." }),
    connected_since: isoTime.nullable().meta({ description: "When it connected (for the engine's own machine: when the engine started)." }),
  })
  .meta({ id: "Worker" });

const listWorkers = route({
  method: "GET",
  path: "/workers",
  scope: "read",
  tag: "system",
  summary:
    "The machines that run tasks: the engine's own first (labels `local` and its host name; it runs every task without `runs_on`), then the workers on other machines connected to it, with their labels, state, version, capacity and what is in use now.",
  responses: [{ status: 200, description: "The workers.", schema: z.object({ workers: z.array(workerInfo) }) }],
  async handler({ deps }) {
    return { workers: await deps.service.listWorkers() };
  },
});

export const workerListRoutes = [listWorkers];
