/** Durations and sizes in the reasons an attempt gives for its end ("timed out after 2s", "memory limit 512 MiB exceeded"). */

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  const total = Math.round(ms / 1000);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  return `${h > 0 ? `${h}h` : ""}${m > 0 ? `${m}m` : ""}${s > 0 ? `${s}s` : ""}`;
}

const BINARY_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** 512 MiB, 1.5 GiB, 200 KiB, 12 B: at most one decimal, none when whole. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(1))} ${BINARY_UNITS[unit]}`;
}
