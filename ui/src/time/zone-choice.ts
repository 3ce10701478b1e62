/**
 * Local time or UTC: chosen once, kept in this browser (localStorage holds
 * only this preference, never a credential).
 */
import { effect, signal } from "@preact/signals";

const KEY = "spire.time-zone";

function stored(): boolean {
  try {
    return localStorage.getItem(KEY) === "utc";
  } catch {
    return false;
  }
}

/** true: every time is shown in UTC; false: in this browser's zone, with its offset. */
export const showUtc = signal<boolean>(stored());

effect(() => {
  try {
    localStorage.setItem(KEY, showUtc.value ? "utc" : "local");
  } catch {
    // Storage may be off (private mode); the choice then lasts for this page.
  }
});
