/** A run's trigger in a few words: its kind, and what the engine recorded with it (who, which run it retries, what changed). */
import type { RunTrigger } from "../../api/types";
import { shortRunId } from "../../format/run-id";

export function triggerDetail(trigger: RunTrigger): string {
  const text = (key: string) => (typeof trigger[key] === "string" ? (trigger[key] as string) : undefined);
  switch (trigger.kind) {
    case "manual":
      return text("actor") ? `by ${text("actor")}` : "";
    case "retry":
      return text("of") ? `of ${shortRunId(text("of")!)}${text("from") ? ` from ${text("from")}` : ""}` : "";
    case "watch": {
      const changed = typeof trigger["changed"] === "number" ? (trigger["changed"] as number) : undefined;
      return changed !== undefined ? `${changed} ${changed === 1 ? "change" : "changes"}` : "";
    }
    case "after":
      return text("pipeline") ? `${text("pipeline")} ${text("state") ?? "finished"}` : "";
    default:
      return "";
  }
}
