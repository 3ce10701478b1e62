/**
 * Which spawner starts task processes: the native one (posix_spawn, see
 * native.ts) when its addon was built and works here, else Node's spawn.
 * SPIRE_SPAWNER=node asks for Node's spawn (to compare, or as a way out).
 * Chosen once per process; the engine and the supervisor say it once when
 * it is not the native one (`note`).
 */
import { loadNativeSpawner } from "./native.js";
import { nodeSpawner } from "./node.js";
import type { Spawner } from "./port.js";

export type { ReapedUsage, Spawner, SpawnerKind, TaskOutput, TaskProcess, TaskSpawnOptions } from "./port.js";
export { nodeSpawner } from "./node.js";

export interface SpawnerChoice {
  spawner: Spawner;
  /** Why it is not the native spawner (or what about the setting was ignored); undefined when all is as it should be. */
  note?: string;
}

let chosen: SpawnerChoice | undefined;

export function chooseSpawner(setting: string | undefined): SpawnerChoice {
  if (setting === "node") return { spawner: nodeSpawner, note: "tasks start with Node's spawn: SPIRE_SPAWNER=node" };
  const native = loadNativeSpawner();
  if ("why" in native) return { spawner: nodeSpawner, note: `tasks start with Node's spawn (slower): the native spawner is not there: ${native.why}` };
  if (setting !== undefined && setting !== "" && setting !== "native") return { spawner: native, note: `SPIRE_SPAWNER=${setting} is neither native nor node: the native spawner starts tasks` };
  return { spawner: native };
}

/** This process's spawner, by SPIRE_SPAWNER (read at the first call). */
export function defaultSpawner(): SpawnerChoice {
  return (chosen ??= chooseSpawner(process.env.SPIRE_SPAWNER));
}
