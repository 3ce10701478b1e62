/**
 * Reading column values back into port types, for every adapter: the
 * databases hand back what was stored (PostgreSQL's BIGINT parsed to a
 * number by its pool), so these only decode JSON text, booleans (0/1 in
 * SQLite) and nullable columns; a value of the wrong type means a corrupt
 * row, reported as such.
 */

/** A row as a driver hands it back: column name to value. */
export type Row = Record<string, unknown>;

export function json<T>(row: Row, column: string): T {
  return JSON.parse(text(row, column)) as T;
}

export function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== "string") throw corrupt(column, value);
  return value;
}

export function textOrNull(row: Row, column: string): string | null {
  const value = row[column];
  return value === null ? null : text(row, column);
}

export function int(row: Row, column: string): number {
  const value = row[column];
  if (typeof value !== "number") throw corrupt(column, value);
  return value;
}

export function intOrNull(row: Row, column: string): number | null {
  const value = row[column];
  return value === null ? null : int(row, column);
}

export function bool(row: Row, column: string): boolean {
  const value = row[column];
  return typeof value === "boolean" ? value : int(row, column) !== 0;
}

/** JSON text for a column; `undefined` (a missing optional object) is stored as `{}`. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? {});
}

function corrupt(column: string, value: unknown): Error {
  return new Error(`store: column ${column} holds ${typeof value} ${String(value)}, which Spire did not write`);
}
