/**
 * One pipeline as its page shows it (GET /pipelines/{ns}/{name}): the
 * summary, its definition (normalised, and as YAML: the lines it was applied
 * from when the file was Spire YAML), where it came from, and the next slots
 * of each time trigger.
 */
import type { PipelineDef } from "../../definitions/schema.js";
import type { NamespaceRow, PipelineRow } from "../../store/port.js";
import type { NamespaceInfo, PipelineDetail, PipelineSummary } from "../service.js";
import { upcomingSlots, type ScheduledTrigger } from "../triggers/upcoming.js";

export async function pipelineDetail(
  row: PipelineRow,
  summary: PipelineSummary,
  namespace: NamespaceRow | undefined,
  scheduled: readonly ScheduledTrigger[],
  options: { next: number; defaultZone: string; now: number },
): Promise<PipelineDetail> {
  const definition = row.definition as PipelineDef;
  const byKey = new Map(scheduled.map((entry) => [entry.key, entry]));
  const trigger_info = summary.trigger_info.map((reading) => {
    const entry = byKey.get(reading.key);
    return entry && !row.paused ? { ...reading, next: upcomingSlots(entry, options.next, options.defaultZone, options.now) } : { ...reading, next: [] };
  });
  return {
    ...summary,
    trigger_info,
    definition,
    ...(row.source ? { definition_yaml: row.source.text, definition_yaml_from: "source" as const, definition_line: row.source.line } : await normalisedYaml(definition)),
    origin: namespace ? originOf(namespace) : null,
  };
}

async function normalisedYaml(definition: PipelineDef): Promise<Pick<PipelineDetail, "definition_yaml" | "definition_yaml_from" | "definition_line">> {
  // Loaded on first use, as the definitions' own modules are: a CLI command that only reads never needs it.
  const { stringify } = await import("yaml");
  return { definition_yaml: stringify(definition), definition_yaml_from: "normalised", definition_line: null };
}

function originOf(namespace: NamespaceRow): NamespaceInfo["origin"] {
  return { ...namespace.origin, applied_at: new Date(namespace.origin.applied_at).toISOString() };
}
