/** The fallback spawner: Node's child_process (fork, then exec, on Linux). */
import { spawn } from "node:child_process";
import type { Spawner } from "./port.js";
import { withUserUmask } from "../../files/private.js";

export const nodeSpawner: Spawner = {
  kind: "node",
  // The child inherits the umask at the fork: the user's is put back around it.
  spawn: (command, args, { cwd, env }) => withUserUmask(() => spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] })),
};
