/** Times as the UI shows them: relative with the exact time on hover, or exact; both follow the Local/UTC choice. */
import { formatAbsolute, formatRelative } from "../time/format";
import { now } from "../time/now";
import { showUtc } from "../time/zone-choice";

type Time = string | number;

function iso(time: Time): string {
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString();
}

/** "5 min ago", with `2026-12-05 14:03:07 +01:00` in its title. */
export function RelativeTime({ time, class: className }: { time: Time; class?: string }) {
  const exact = formatAbsolute(time, showUtc.value);
  return (
    <time class={className} dateTime={iso(time)} title={exact}>
      {/* The clock signal says when to re-render; the label counts from the real time, so a time just past never reads as future. */}
      {formatRelative(time, Math.max(now.value, Date.now()), showUtc.value)}
    </time>
  );
}

/** `2026-12-05 14:03:07 +01:00` (or `…Z` in UTC). */
export function AbsoluteTime({ time, class: className }: { time: Time; class?: string }) {
  return (
    <time class={className} dateTime={iso(time)}>
      {formatAbsolute(time, showUtc.value)}
    </time>
  );
}
