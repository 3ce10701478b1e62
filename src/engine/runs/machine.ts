/** The engine's own machine as a place attempts run: a worker like the others, named by its host name, with labels `local` and that name. */
import { hostname } from "node:os";
import type { Machine } from "../../exec/port.js";
import { LOCAL_LABEL } from "../reads/local-worker.js";

/** How long the host name is taken as known: asked of the kernel once a run and more (a system call each, ~9 µs in a VM), it seldom changes. */
const HOST_NAME_KEPT_MS = 5_000;
let known: { name: string; until: number } | undefined;

/** This machine's host name, as the kernel said it a moment ago. */
export function thisHost(): string {
  const now = Date.now();
  if (known === undefined || now >= known.until) known = { name: hostname(), until: now + HOST_NAME_KEPT_MS };
  return known.name;
}

export function localMachine(dataDir: string, nodePath: string): Machine {
  return { name: thisHost(), dataDir, workDir: undefined, nodePath, local: true };
}

export function localLabels(): string[] {
  return [LOCAL_LABEL, thisHost()];
}
