/** A run's or task's state: icon and word, coloured by the theme's state colours. */
import type { AnyState } from "../api/types";
import { StateIcon } from "./state-icon";

/** The words for each state, as a person reads them. */
export const STATE_LABELS: Record<AnyState, string> = {
  queued: "queued",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  canceled: "canceled",
  skipped: "skipped",
  interrupted: "interrupted",
  pending: "pending",
  timed_out: "timed out",
};

export function stateLabel(state: string): string {
  return STATE_LABELS[state as AnyState] ?? state.replace(/_/g, " ");
}

export function StateBadge({ state, compact = false }: { state: AnyState; compact?: boolean }) {
  return (
    <span class={`state state--${state}${compact ? " state--compact" : ""}`}>
      <StateIcon state={state} />
      {compact ? <span class="visually-hidden">{stateLabel(state)}</span> : <span class="state__label">{stateLabel(state)}</span>}
    </span>
  );
}
