/**
 * Runners that lean on a tool the machine may not have (uv, docker, a
 * Python interpreter): when it is missing, or the Docker engine does not
 * answer, the task fails with a reason that says so and what to do, instead
 * of "spawn failed: ENOENT" or docker's exit code 125.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import type { TaskDef } from "../../definitions/schema.js";
import type { AttemptEnding } from "./task-row.js";

const INSTALL: Record<string, string> = {
  uv: "uv is not installed here (not found in PATH): install it (https://docs.astral.sh/uv/getting-started/installation/), or run the script with `python:`/`script:` and its dependencies installed",
  docker: "docker is not installed here (not found in PATH): install Docker (https://docs.docker.com/engine/install/), or run the task without `docker:`",
  python: "is not installed here (not found in PATH): install Python 3, or name another interpreter with `interpreter:`",
};

/** Why the task's program cannot be found, for the runners that need an outside tool; undefined when it is there (or not ours to check). */
export function missingTool(def: TaskDef, program: string | undefined, pathVariable: string | undefined): string | undefined {
  if (program === undefined || isAbsolute(program) || program.includes("/")) return undefined;
  const needsTool = def.kind === "uv" || def.kind === "docker" || def.kind === "python" || (def.kind === "script" && /^python/.test(program));
  if (!needsTool || onPath(program, pathVariable)) return undefined;
  if (def.kind === "uv" || def.kind === "docker") return INSTALL[def.kind];
  return `${program} ${INSTALL.python}`;
}

/** Docker's own words when its engine does not answer, turned into a reason that says what to do. */
export function explainEnding(def: TaskDef, ending: AttemptEnding): AttemptEnding {
  if (def.kind !== "docker" || ending.state !== "failed" || ending.exitCode !== 125) return ending;
  const daemon = ending.tail.find((line) => /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect/i.test(line.line));
  if (!daemon) return ending;
  return { ...ending, reason: `the Docker engine is not running or not reachable (${daemon.line.trim()}): start it (for example: sudo systemctl start docker), or run the task without \`docker:\`` };
}

function onPath(program: string, pathVariable: string | undefined): boolean {
  for (const folder of (pathVariable ?? "").split(delimiter)) {
    if (folder === "") continue;
    try {
      accessSync(join(folder, program), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}
