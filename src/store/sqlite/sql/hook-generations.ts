/** Webhook token generations (Store.hookGeneration). */
import type { Connection } from "../connection.js";

export function hookGeneration(conn: Connection, namespace: string, pipeline: string): number {
  const row = conn.statement("SELECT generation FROM hook_generations WHERE namespace = ? AND pipeline = ?").get(namespace, pipeline) as { generation: number } | undefined;
  return row?.generation ?? 0;
}

export function nextHookGeneration(conn: Connection, namespace: string, pipeline: string): number {
  const row = conn
    .statement("INSERT INTO hook_generations (namespace, pipeline, generation) VALUES (?, ?, 1) ON CONFLICT (namespace, pipeline) DO UPDATE SET generation = generation + 1 RETURNING generation")
    .get(namespace, pipeline) as { generation: number };
  return row.generation;
}
