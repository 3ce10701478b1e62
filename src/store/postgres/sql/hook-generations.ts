/** Webhook token generations (Store.hookGeneration). */
import type { Sql } from "../pool.js";

export async function hookGeneration(sql: Sql, namespace: string, pipeline: string): Promise<number> {
  const row = await sql.one("SELECT generation FROM hook_generations WHERE namespace = $1 AND pipeline = $2", [namespace, pipeline]);
  return row ? Number(row.generation) : 0;
}

/** One statement: two engines changing it at once each move it on (the row lock orders them). */
export async function nextHookGeneration(sql: Sql, namespace: string, pipeline: string): Promise<number> {
  const row = await sql.one(
    "INSERT INTO hook_generations (namespace, pipeline, generation) VALUES ($1, $2, 1) ON CONFLICT (namespace, pipeline) DO UPDATE SET generation = hook_generations.generation + 1 RETURNING generation",
    [namespace, pipeline],
  );
  return Number(row!.generation);
}
