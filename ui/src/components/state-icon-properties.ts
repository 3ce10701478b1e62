/**
 * The state icons as CSS custom properties (--icon-failed: url(data:…)) on
 * the root element, drawn from the same paths as <StateIcon>: lists of
 * thousands of small state squares paint them as a CSS mask instead of an
 * SVG element each. Set through the CSSOM, which the CSP allows.
 */
import { TASK_STATES, RUN_STATES, type AnyState } from "../api/types";
import { STATE_ICON_PATHS } from "./state-icon";

function iconUrl(state: AnyState): string {
  const filled = state === "interrupted";
  const svg =
    `<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16' fill='${filled ? "black" : "none"}' stroke='black' ` +
    `stroke-width='${filled ? 1 : 2}' stroke-linecap='round' stroke-linejoin='round'><path d='${STATE_ICON_PATHS[state]}'/></svg>`;
  return `url("data:image/svg+xml,${encodeURIComponent(svg)}")`;
}

export function installStateIconProperties(): void {
  const root = document.documentElement.style;
  for (const state of new Set<AnyState>([...RUN_STATES, ...TASK_STATES])) root.setProperty(`--icon-${state}`, iconUrl(state));
}
