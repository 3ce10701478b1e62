/** The engine's own machine as a place attempts run: a worker like the others, named by its host name, with labels `local` and that name. */
import { hostname } from "node:os";
import type { Machine } from "../../exec/port.js";
import { LOCAL_LABEL } from "../reads/local-worker.js";

export function localMachine(dataDir: string, nodePath: string): Machine {
  return { name: hostname(), dataDir, workDir: undefined, nodePath, local: true };
}

export function localLabels(): string[] {
  return [LOCAL_LABEL, hostname()];
}
