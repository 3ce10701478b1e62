/** Local time or UTC, for every time on every page; the choice is kept in this browser. */
import { showUtc } from "../time/zone-choice";

export function TimeZoneToggle() {
  return (
    <div class="segmented" role="group" aria-label="Show times in">
      <button type="button" class="segmented__option" aria-pressed={!showUtc.value} onClick={() => (showUtc.value = false)}>
        Local time
      </button>
      <button type="button" class="segmented__option" aria-pressed={showUtc.value} onClick={() => (showUtc.value = true)}>
        UTC
      </button>
    </div>
  );
}
