/** The engine itself: what runs and what is in use (the UI's engine page, `spire service status`-like views). */
import { z } from "zod";
import { route } from "../route.js";

const isoTime = z.string().meta({ format: "date-time" });
const used = (what: string) => z.object({ reserved: z.number(), total: z.number(), from: z.string().meta({ description: `Where the total comes from: this machine's, or ${what}.` }) });

const engineInfo = z
  .object({
    version: z.string(),
    status: z.enum(["ok", "draining"]).meta({ description: "draining: finishing its runs before it stops; it takes no new ones." }),
    started_at: isoTime,
    uptime_ms: z.number().int(),
    pid: z.number().int(),
    node: z.string().meta({ description: "The Node.js version it runs on." }),
    data_dir: z.string().optional().meta({ description: "The data folder: for admin tokens only." }),
    store: z.object({
      kind: z.enum(["sqlite", "postgres"]),
      location: z.string().optional().meta({ description: "The SQLite file, or the PostgreSQL address without its password: for admin tokens only." }),
    }),
    scheduling: z
      .object({ leading: z.boolean().meta({ description: "Whether this engine leads the scheduling now: among the engines sharing a PostgreSQL store, only the leader fires time triggers." }) })
      .nullable()
      .meta({ description: "null for an engine alone on its store." }),
    executor: z.enum(["supervisor", "in-process"]).meta({ description: "Where tasks run: a supervisor process that outlives the engine, or the engine's own process." }),
    supervisor: z
      .object({
        pid: z.number().int().nullable(),
        started_at: isoTime.nullable(),
        connected: z.boolean(),
        lost_reason: z.string().nullable().meta({ description: "Why the engine lost its supervisor (its tasks then end as failed with this reason)." }),
      })
      .nullable(),
    capacity: z.object({
      task_slots: z.object({ used: z.number().int(), total: z.number().int() }).meta({ description: "Tasks running at once, of --parallelism." }),
      cpus: used("--cpus").meta({ description: "Cpus reserved by running tasks' `resources:`." }),
      memory_bytes: used("--memory").meta({ description: "Memory reserved by running tasks' `resources:`." }),
    }),
    runs: z.object({ running: z.number().int(), waiting: z.number().int() }),
    locks: z
      .array(
        z.object({
          name: z.string(),
          capacity: z.number().int().meta({ description: "The largest capacity a namespace declares (1 when none does); each holder is held to its own namespace's." }),
          declared: z.record(z.string(), z.number()).meta({ description: "The capacity each namespace's `locks:` declares." }),
          held: z.number().int().meta({ description: "Units held now." }),
          holders: z.array(z.object({ run_id: z.string(), task: z.string().nullable().meta({ description: "null: the whole run holds it (pipeline `locks:`)." }), count: z.number().int() })),
        }),
      )
      .meta({ description: "Every lock a definitions file declares, and every lock held now, by name." }),
    queues: z
      .array(z.object({ namespace: z.string(), pipeline: z.string(), running: z.number().int(), waiting: z.number().int() }))
      .meta({ description: "Pipelines with runs under way or waiting here, the longest first; a pipeline with none is left out." }),
  })
  .meta({ id: "EngineInfo" });

const engine = route({
  method: "GET",
  path: "/engine",
  scope: "read",
  tag: "system",
  summary:
    "The engine itself: version, uptime, pid, store, supervisor, and what is in use now: task slots, cpus and memory reserved, locks with their holders, runs under way and waiting per pipeline. Paths (data_dir, store.location) only for an admin token.",
  responses: [{ status: 200, description: "The engine.", schema: engineInfo }],
  async handler({ actor, deps }) {
    return deps.service.engineInfo(actor!);
  },
});

export const engineRoutes = [engine];
