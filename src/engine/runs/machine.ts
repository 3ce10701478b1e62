/** The engine's own machine as a place attempts run: a worker like the others, named by its host name, with labels `local` and that name. */
import { hostname } from "node:os";
import type { Machine } from "../../exec/port.js";

export function localMachine(dataDir: string, nodePath: string): Machine {
  return { name: hostname(), dataDir, workDir: undefined, nodePath, local: true };
}

export function localLabels(): string[] {
  return ["local", hostname()];
}
