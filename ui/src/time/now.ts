/**
 * The time relative labels ("5 min ago") count from. One ticking signal
 * for the whole page, so a thousand labels do not each keep a timer; it
 * stops while the tab is hidden and catches up when it is shown again.
 */
import { computed, signal } from "@preact/signals";

const TICK_MS = 15_000;

export const now = signal(Date.now());

let timer: ReturnType<typeof setInterval> | undefined;

function start(): void {
  now.value = Date.now();
  timer ??= setInterval(() => {
    now.value = Date.now();
  }, TICK_MS);
}

function stop(): void {
  if (timer !== undefined) clearInterval(timer);
  timer = undefined;
}

export function startClock(): void {
  if (document.visibilityState === "visible") start();
  document.addEventListener("visibilitychange", () => (document.visibilityState === "visible" ? start() : stop()));
}

/** The same, changing once a minute: for long lists whose labels need no finer step. */
export const minuteNow = computed(() => Math.floor(now.value / 60_000) * 60_000);
