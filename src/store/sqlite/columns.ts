/**
 * Reading column values back into port types. SQLite hands back what it
 * stored, so these only decode JSON text, 0/1 booleans and nullable columns;
 * a value of the wrong type means a corrupt row, reported as such.
 */
import type { Row } from "./connection.js";

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
  return int(row, column) !== 0;
}

/** JSON text for a column; `undefined` (a missing optional object) is stored as `{}`. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? {});
}

function corrupt(column: string, value: unknown): Error {
  return new Error(`store: column ${column} holds ${typeof value} ${String(value)}, which Spire did not write`);
}
