/**
 * Tools that read definitions without changing anything: check a
 * definitions text as `spire validate` does, and preview a schedule as
 * `spire next` does. Both work on the text or expression they are given;
 * only a pipeline's schedule is read from the engine.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { FORMATS, FORMAT_NAMES } from "../definitions/compat/format.js";
import { formatDefinitionErrors, parseDefinitions } from "../definitions/load.js";
import { MAX_DEFINITIONS_BYTES } from "../definitions/yaml-source.js";
import { plannedTaskCount } from "../plan/task-count.js";
import { checkZone, parseTime, systemZone } from "../time/index.js";
import { CRON_HINT, ENGINE_SLOTS_MAX, cronTrigger, looksLikeCron, previewAppliedSchedule, previewSchedule } from "../time/preview.js";
import { withPipeline, type McpContext } from "./context.js";
import { looksLikeWhen, whenTrigger } from "../cli/adhoc/when-trigger.js";
import { errorResult, jsonResult } from "./results.js";

export function registerDefinitionTools(server: McpServer, { clients, answer }: McpContext): void {
  server.registerTool(
    "validate_definitions",
    {
      title: "Validate definitions",
      description:
        "Checks a Spire definitions file's text (YAML or JSON; prunner's pipelines.yml and Gator job files are recognised too) without applying or running it, as `spire validate` does: its errors (those of its shape together, then those of its graph: needs, cycles), each with its line, column and key path and what to do, and warnings (valid, but will not work as meant). Files the definitions name (env_file, scripts) are not looked at here: there is no folder to look in. Answers with { ok, format, pipelines, tasks, errors, warnings, report }: report is the same in plain lines. Needs no engine.",
      inputSchema: {
        text: z.string().min(1).max(MAX_DEFINITIONS_BYTES).describe("The whole definitions file, as text."),
        file_name: z.string().min(1).max(500).optional().describe("The file's name, shown in error positions; default spire.yaml."),
        format: z.enum(FORMATS).optional().describe("Read it as this format; default: detected from the content."),
      },
      annotations: { readOnlyHint: true },
    },
    (input) =>
      answer(async () => {
        const loaded = parseDefinitions(input.text, input.file_name ?? "spire.yaml", { now: Date.now(), ...(input.format ? { format: input.format } : {}) });
        if (!loaded.ok) {
          return jsonResult({ ok: false, errors: loaded.errors, warnings: loaded.warnings, report: formatDefinitionErrors([...loaded.errors, ...loaded.warnings]) });
        }
        const pipelines = Object.keys(loaded.file.pipelines);
        return jsonResult({
          ok: true,
          format: FORMAT_NAMES[loaded.format],
          pipelines,
          tasks: plannedTaskCount(loaded.file),
          errors: [],
          warnings: loaded.warnings,
          report: loaded.warnings.length > 0 ? formatDefinitionErrors(loaded.warnings) : `valid: ${pipelines.length} pipeline${pipelines.length === 1 ? "" : "s"} (${pipelines.join(", ")})`,
        });
      }),
  );

  server.registerTool(
    "next_fire_times",
    {
      title: "Preview a schedule",
      description:
        'The next fire times of a pipeline\'s time triggers (cron, every, at), or of one cron expression, `every` or `at`, as `spire next` does: the schedule in plain words and the times in ISO 8601 with their UTC offset, each marked where the clock changes (DST) just before it. A pipeline\'s times are the ones the engine fires at (an unaligned `every` counts from when the engine first scheduled it). Answers with { description, next: [{ at, clock_change }] }, and a note when fewer times are listed for another reason than the schedule ending (the pipeline is paused). Needs the read scope for a pipeline; a schedule given in words needs no engine.',
      inputSchema: {
        schedule: z
          .string()
          .min(1)
          .max(300)
          .describe('A pipeline (its name, or NAMESPACE/NAME), a cron expression (5 fields "minute hour day month weekday", e.g. "0 3 * * 1-5", 6 with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly), "every 90m" (counted from now, or from), or "at 2026-12-24T18:00".'),
        count: z.number().int().min(1).max(100).optional().describe("How many fire times; default 5."),
        timezone: z.string().min(1).max(100).optional().describe("The IANA zone to read a cron expression in and show the times in, e.g. Europe/Berlin; default: the zone of the machine Spire runs on. A trigger that names its own zone keeps it."),
        from: z.string().min(1).max(100).optional().describe("Start from this time instead of now: ISO 8601, e.g. 2027-03-27T00:00 (read in timezone) or 2027-03-27T00:00:00Z."),
      },
      annotations: { readOnlyHint: true },
    },
    (input) =>
      answer(async () => {
        const zone = input.timezone ?? systemZone();
        const zoneProblem = checkZone(zone);
        if (zoneProblem) return errorResult(`timezone: ${zoneProblem}. Use an IANA zone name such as Europe/Berlin or America/New_York.`);
        let from: number | undefined;
        if (input.from !== undefined) {
          const parsed = parseTime(input.from, zone);
          if (!parsed.ok) return errorResult(`from: ${parsed.error}. For example: 2026-12-24T18:00 (read in timezone), or give an offset.`);
          from = parsed.ms;
        }
        const options = { zone, now: Date.now(), count: input.count ?? 5, ...(from !== undefined ? { from } : {}) };
        let preview;
        if (looksLikeWhen(input.schedule)) {
          preview = previewSchedule(input.schedule, [whenTrigger(input.schedule, input.timezone, { prefix: "schedule: ", takes: "schedule takes a pipeline, or", at: "schedule" })], options);
        } else if (looksLikeCron(input.schedule)) {
          const made = cronTrigger(input.schedule, input.timezone);
          if (!made.ok) return errorResult(`schedule: ${made.problem}. ${CRON_HINT}`);
          preview = previewSchedule(input.schedule, [made.trigger], options);
        } else {
          // The engine's own slots: an unaligned every counts from when the engine first scheduled it.
          const asked = Math.min(options.count, ENGINE_SLOTS_MAX);
          preview = await withPipeline(clients, input.schedule, async (client, namespace, name) =>
            previewAppliedSchedule(input.schedule, await client.getPipeline(namespace, name, { next: asked }), { ...options, asked, engineRunning: client.location.kind === "engine" }),
          );
        }
        if (!preview.ok) return errorResult(`${preview.problem}. ${preview.hint}`);
        return jsonResult({
          description: preview.description,
          next: preview.next.map((time) => ({ at: time.iso, clock_change: time.dstChange ? `${time.dstChange.before} → ${time.dstChange.after}` : null })),
          ...(preview.note !== undefined ? { note: preview.note } : {}),
        });
      }),
  );
}
