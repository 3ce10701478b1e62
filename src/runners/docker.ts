/**
 * `docker:` — run with the docker CLI, removed when it ends. The container
 * is named after the attempt, so that one left behind (the CLI killed
 * before it could stop it) can be found and removed by name.
 */
import { createHash, randomBytes } from "node:crypto";
import type { RunnerCommand } from "./runners.js";
import type { TaskDef } from "../definitions/schema.js";
import { splitWords } from "../definitions/words.js";

export { splitWords };

type DockerPayload = NonNullable<TaskDef["docker"]>;

/** Docker names: [a-zA-Z0-9][a-zA-Z0-9_.-]*. Kept short, with a digest so that distinct ids stay distinct. */
export function containerName(id: string | undefined): string {
  if (id === undefined || id === "") return `spire-${randomBytes(6).toString("hex")}`;
  const readable = id.replace(/[^a-zA-Z0-9_.-]+/g, "-").replace(/^[-.]+/, "").slice(0, 48);
  const digest = createHash("sha256").update(id).digest("hex").slice(0, 8);
  return `spire-${readable}-${digest}`;
}

export function dockerCommand(docker: DockerPayload, id: string | undefined): RunnerCommand {
  if (docker.image.startsWith("-")) return { error: `docker image "${docker.image}" cannot start with "-"` };
  const argv = ["docker", "run", "--rm", "--name", containerName(id)];
  if (docker.pull !== undefined) argv.push(`--pull=${docker.pull}`);
  if (docker.workdir !== undefined) argv.push("--workdir", docker.workdir);
  for (const volume of docker.volumes) argv.push("--volume", volume);
  for (const [key, value] of Object.entries(docker.env)) argv.push("--env", `${key}=${value}`);
  // "--" would be taken as the image by older CLIs, so the image itself ends the options.
  argv.push(docker.image);
  if (docker.command !== undefined) argv.push(...(typeof docker.command === "string" ? splitWords(docker.command) : docker.command));
  return { argv };
}
