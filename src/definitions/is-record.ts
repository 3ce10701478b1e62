/** A plain mapping (not null, not an array): what YAML gives for `key: value` lines. Its own file, so that walking raw definitions needs no schema library. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
