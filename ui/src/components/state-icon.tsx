/**
 * One hand-drawn 16×16 icon per run and task state, so a state reads by
 * shape as well as by colour (and by its text wherever there is room).
 */
import type { AnyState } from "../api/types";

export const STATE_ICON_PATHS: Record<AnyState, string> = {
  // A clock: waiting for its turn.
  queued: "M8 2.5a5.5 5.5 0 1 0 0 11a5.5 5.5 0 1 0 0-11M8 5v3.2l2 1.3",
  // Dotted ring: not started yet.
  pending: "M8 2.5v1M13.5 8h-1M8 13.5v-1M2.5 8h1M11.9 4.1l-.7.7M11.9 11.9l-.7-.7M4.1 11.9l.7-.7M4.1 4.1l.7.7",
  // Three quarters of a ring (turns, unless motion is reduced).
  running: "M8 2.5a5.5 5.5 0 1 1-5.5 5.5",
  succeeded: "M3 8.5l3.2 3L13 4.5",
  failed: "M4 4l8 8M12 4l-8 8",
  // A ring with a slash: stopped on purpose.
  canceled: "M8 2.5a5.5 5.5 0 1 0 0 11a5.5 5.5 0 1 0 0-11M4.1 11.9l7.8-7.8",
  // Skip forward: passed over.
  skipped: "M3 4l5 4l-5 4M9 4l5 4l-5 4",
  // A bolt: cut off from outside (the engine stopped).
  interrupted: "M9.5 2L4.5 9h4l-2 5l5-7h-4z",
  // An hourglass: ran out of time.
  timed_out: "M4 2.5h8M4 13.5h8M5 2.5c0 3 6 3.5 6 5.5s-6 2.5-6 5.5M11 2.5c0 3-6 3.5-6 5.5s6 2.5 6 5.5",
};

export function StateIcon({ state }: { state: AnyState }) {
  return (
    <svg class={`state-icon state-icon--${state}`} viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
      <path d={STATE_ICON_PATHS[state] ?? STATE_ICON_PATHS.pending} />
    </svg>
  );
}
