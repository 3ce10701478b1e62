/** The fallback spawner: Node's child_process (fork, then exec, on Linux). */
import { spawn } from "node:child_process";
import type { Spawner } from "./port.js";

export const nodeSpawner: Spawner = {
  kind: "node",
  spawn: (command, args, { cwd, env }) => spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] }),
};
