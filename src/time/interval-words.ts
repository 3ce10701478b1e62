/**
 * Intervals in words, shared by the CLI (describe.ts) and the web UI (which
 * imports this file as is): so both read a trigger the same way. No imports,
 * nothing Node-only.
 */

const UNITS: Array<[number, string]> = [
  [604_800_000, "week"],
  [86_400_000, "day"],
  [3_600_000, "hour"],
  [60_000, "minute"],
  [1_000, "second"],
  [1, "millisecond"],
];

/** 900000 -> "15 minutes", 5400000 -> "1 hour 30 minutes", 86400000 -> "1 day". */
export function formatInterval(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [size, unit] of UNITS) {
    // Weeks only when exact: "10 days" reads better than "1 week 3 days".
    if (size === 604_800_000 && rest % size !== 0) continue;
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count} ${unit}${count === 1 ? "" : "s"}`);
    rest -= count * size;
  }
  return parts.length === 0 ? "0 milliseconds" : parts.join(" ");
}

/** "every 15 minutes", "every day" (a single unit reads without the 1). */
export function everyWords(ms: number): string {
  const text = formatInterval(ms);
  return `every ${text.startsWith("1 ") && !text.includes(" ", 2) ? text.slice(2) : text}`;
}
