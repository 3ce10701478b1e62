/**
 * The README's first command runs the engine in a terminal (a worker runs
 * in one as well), and closing that terminal is how many people stop it: the kernel hangs the terminal
 * up (writes to it fail with EIO) and sends SIGHUP. The engine drains and
 * stops as on Ctrl-C, its supervisor with it, and it removes engine.json;
 * before, SIGHUP killed it on the spot and left the supervisor behind.
 *
 * A real pseudo-terminal (Python's pty module, as a terminal emulator holds
 * one): the engine runs on its other end, and the test closes this end.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { assertNoLeftoverProcesses, checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { SPIRE_BIN, spire } from "../helpers/cli.js";
import { startEngine, stopEngine } from "../helpers/engine.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

// Forks a command on a new pseudo-terminal, reads what it prints until the file `ready` appears, then closes the
// terminal and prints the command's exit status as `exit <code>` or `signal <n>`.
const TERMINAL = String.raw`
import os, pty, sys, time
ready, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
deadline = time.time() + 60
while not os.path.exists(ready) and time.time() < deadline:
    try:
        os.read(fd, 65536)
    except OSError:
        break
os.close(fd)
_, status = os.waitpid(pid, 0)
print(("exit %d" % os.WEXITSTATUS(status)) if os.WIFEXITED(status) else ("signal %d" % os.WTERMSIG(status)), flush=True)
`;

/** Runs `spire ARGS` on a pseudo-terminal, closes it once `ready` exists, and gives what became of the command. */
async function onClosedTerminal(t: TestContext, ready: string, args: string[]): Promise<string> {
  const python = spawn("python3", ["-c", TERMINAL, ready, process.execPath, SPIRE_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let said = "";
  python.stdout.setEncoding("utf8").on("data", (chunk: string) => (said += chunk));
  python.stderr.setEncoding("utf8").on("data", (chunk: string) => (said += chunk));
  t.after(() => python.kill("SIGKILL"));
  await until(() => /^(exit|signal) /m.test(said), `spire ${args[0]} on the closed terminal to end`, 60_000);
  return said.trim();
}

test("an engine whose terminal is closed (SIGHUP, and a terminal that fails every write) drains and stops cleanly, with its supervisor", async (t) => {
  const data = tempDir(t);
  const ended = await onClosedTerminal(t, join(data, "engine.json"), ["engine", "--listen", "127.0.0.1:0", "--data", data]);
  assert.equal(ended, "exit 0", "the engine stopped cleanly (a kill by SIGHUP is `signal 1`)");
  assert.equal(existsSync(join(data, "engine.json")), false, "it removed engine.json, as a clean stop does");
  // Its supervisor stopped with it.
  await assertNoLeftoverProcesses();
});

test("a worker whose terminal is closed stops cleanly, as on Ctrl-C", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, join(data, "engine"));
  const token = readFileSync(join(engine.data, "token"), "utf8").trim();
  const made = await spire(["token", "create", "--scope", "worker", "--name", "desk"], { data: join(data, "cli"), env: { SPIRE_ENGINE: engine.url, SPIRE_TOKEN: token } });
  assert.equal(made.code, 0, made.stderr);
  const worker = join(data, "worker");
  const args = ["worker", "--engine", engine.url, "--token", made.stdout.trim(), "--name", "desk", "--data", worker, "--workdir", data];
  // connection.json: the worker has begun (its signals are handled from before that).
  assert.equal(await onClosedTerminal(t, join(worker, "connection.json"), args), "exit 0", "the worker stopped cleanly (a kill by SIGHUP is `signal 1`)");
  await stopEngine(engine);
  await assertNoLeftoverProcesses();
});
