/** How logs are shown (timestamps, wrapping): chosen once, kept in this browser like the Local/UTC choice. */
import { effect, signal, type Signal } from "@preact/signals";

function stored(key: string, fallback: boolean): Signal<boolean> {
  let value = fallback;
  try {
    const saved = localStorage.getItem(key);
    if (saved === "on" || saved === "off") value = saved === "on";
  } catch {
    // Storage may be off (private mode): the default, for this page.
  }
  const choice = signal(value);
  let initial = true;
  effect(() => {
    const on = choice.value;
    // Written when changed, not at load (a write costs a few ms on the way to the first screen).
    if (initial) {
      initial = false;
      return;
    }
    try {
      localStorage.setItem(key, on ? "on" : "off");
    } catch {
      // As above: the choice lasts for this page.
    }
  });
  return choice;
}

export const showTimestamps = stored("spire.logs.timestamps", false);
export const wrapLines = stored("spire.logs.wrap", false);
