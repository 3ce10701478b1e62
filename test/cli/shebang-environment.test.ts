/**
 * bin/spire.js's shebang sets GLIBC_TUNABLES for spire itself (glibc reads
 * it only at start; see the comment there): a spire started as a command runs
 * with malloc's threshold fixed, and what it starts — tasks, the supervisor —
 * gets the user's own GLIBC_TUNABLES back, or none.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { finished, REPO_ROOT, SPIRE_BIN } from "../helpers/cli.js";
import { pipelineFile } from "../helpers/engine.js";
import { until } from "../helpers/poll.js";

checkNoLeftoverProcesses();

const OURS = "glibc.malloc.mmap_threshold=131072";
const USERS = "glibc.malloc.arena_max=4";

/** `spire ARGS` as a shell runs it: the file itself, so its shebang applies (node found on PATH). */
function asCommand(args: string[], data: string, tunables: string | undefined) {
  const env: NodeJS.ProcessEnv = { ...process.env, SPIRE_DATA: data, NO_COLOR: "1" };
  if (tunables === undefined) delete env.GLIBC_TUNABLES;
  else env.GLIBC_TUNABLES = tunables;
  return spawn(SPIRE_BIN, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
}

const startEnvironment = (pid: number) => readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");

test("a task gets the user's GLIBC_TUNABLES, or none, never spire's own", async (t) => {
  const data = tempDir(t);
  const file = pipelineFile(data, "pipelines:\n  env:\n    tasks:\n      show: { run: 'echo \"::output::tunables=${GLIBC_TUNABLES-unset}\"' }\n");
  for (const [users, seen] of [[undefined, "unset"], [USERS, USERS]] as const) {
    const result = await finished(asCommand(["run", "-f", file, "--json"], data, users));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).tasks[0].outputs.tunables, seen, `with GLIBC_TUNABLES ${users ?? "unset"}`);
  }
});

test("the engine started as a command runs with the threshold fixed (then the user's tunables); its supervisor with the user's only", { skip: process.platform !== "linux" && "reads /proc" }, async (t) => {
  const data = tempDir(t);
  const child = asCommand(["engine", "--listen", "127.0.0.1:0"], data, USERS);
  const exit = finished(child);
  const addressFile = join(data, "engine.json");
  await until(() => existsSync(addressFile) && readFileSync(addressFile, "utf8").includes(`"pid":${child.pid}`), "the engine's address file", 15_000);
  // glibc cuts the variable at each `:` in place as it reads it: the start environment shows the first tunable.
  assert.ok(startEnvironment(child.pid!).some((entry) => entry.startsWith(`GLIBC_TUNABLES=${OURS}`)), "the engine's own start environment");
  const supervisor = Number(readFileSync(join(data, "supervisor.sock.pid"), "utf8").split(" ")[0]);
  const tunables = startEnvironment(supervisor).filter((entry) => entry.startsWith("GLIBC_TUNABLES="));
  assert.deepEqual(tunables, [`GLIBC_TUNABLES=${USERS}`]);
  child.kill("SIGTERM");
  assert.equal((await exit).code, 0);
});
