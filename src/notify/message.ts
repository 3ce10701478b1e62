/**
 * What a notification says: one JSON payload for every channel (webhook
 * body, MQTT message, the command's SPIRE_NOTIFY_JSON), with a one-line
 * `text` a chat tool can show as it is (Slack's incoming webhooks read it).
 */
import type { NotifyDef } from "../definitions/schema.js";
import { formatDurationMs } from "../definitions/units.js";
import type { MissedObject } from "../engine/triggers/missed-object.js";
import type { RunObject, TaskObject } from "../engine/reads/run-object.js";

export type NotifyEvent = NotifyDef["on"][number];

export type Payload =
  | { event: Exclude<NotifyEvent, "missed">; text: string; run: RunObject }
  | { event: "missed"; text: string; run: null; missed: MissedObject };

const VERBS: Record<Exclude<NotifyEvent, "missed">, string> = {
  started: "started",
  success: "succeeded",
  failure: "failed",
  recovered: "recovered",
};

export function runPayload(event: Exclude<NotifyEvent, "missed">, run: RunObject, host: string): Payload {
  const verb = run.state === "interrupted" ? "was interrupted" : VERBS[event];
  const took = event === "started" || run.duration_ms === null ? "" : ` after ${formatDurationMs(run.duration_ms)}`;
  const why = event === "failure" ? whyFailed(run) : undefined;
  const text = `${run.namespace}/${run.pipeline} ${verb} on ${host}${took}${why ? `: ${why}` : ""} — run ${run.id}`;
  return { event, text: slackSafe(text), run };
}

/** `missed` is about slots of a time trigger, not a run: the payload carries the record of GET /pipelines/{ns}/{name}/missed. */
export function missedPayload(missed: MissedObject, host: string): Payload {
  const count = `${missed.count_exact ? "" : "at least "}${missed.count}`;
  const slots = missed.count === 1 ? `the slot of ${missed.first_slot}` : `${count} slots (${missed.first_slot} … ${missed.last_slot})`;
  const text = `${missed.namespace}/${missed.pipeline} missed ${slots} of trigger ${missed.trigger_key} on ${host}: ${missed.reason}`;
  return { event: "missed", text: slackSafe(text), run: null, missed };
}

/** The run's own reason (a run timeout), else the first task that failed and how. */
function whyFailed(run: RunObject): string | undefined {
  if (run.reason) return run.reason;
  const task = run.tasks.find((candidate) => FAILED_TASK.has(candidate.state));
  return task ? `${task.path} ${howTaskFailed(task)}` : undefined;
}

const FAILED_TASK = new Set(["failed", "timed_out", "interrupted"]);

function howTaskFailed(task: TaskObject): string {
  if (task.reason) return task.reason;
  if (task.exit_code !== null) return `exited ${task.exit_code}`;
  return task.state.replace("_", " ");
}

/** Slack reads &, < and > as markup (links, mentions): they are escaped as its docs ask. */
function slackSafe(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
