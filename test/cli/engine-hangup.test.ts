/**
 * The README's first command runs the engine in a terminal, and closing
 * that terminal is how many people stop it: the kernel hangs the terminal
 * up (writes to it fail with EIO) and sends SIGHUP. The engine drains and
 * stops as on Ctrl-C, its supervisor with it, and it removes engine.json;
 * before, SIGHUP killed it on the spot and left the supervisor behind.
 *
 * A real pseudo-terminal (Python's pty module, as a terminal emulator holds
 * one): the engine runs on its other end, and the test closes this end.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { assertNoLeftoverProcesses, checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { SPIRE_BIN } from "../helpers/cli.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

// Forks the engine on a new pseudo-terminal, reads what it prints until engine.json appears, then closes the
// terminal and prints the engine's exit status as `exit <code>` or `signal <n>`.
const TERMINAL = String.raw`
import os, pty, sys, time
node, spire, data = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(node, [node, spire, "engine", "--listen", "127.0.0.1:0", "--data", data])
deadline = time.time() + 60
while not os.path.exists(os.path.join(data, "engine.json")) and time.time() < deadline:
    try:
        os.read(fd, 65536)
    except OSError:
        break
os.close(fd)
_, status = os.waitpid(pid, 0)
print(("exit %d" % os.WEXITSTATUS(status)) if os.WIFEXITED(status) else ("signal %d" % os.WTERMSIG(status)), flush=True)
`;

test("an engine whose terminal is closed (SIGHUP, and a terminal that fails every write) drains and stops cleanly, with its supervisor", async (t) => {
  const data = tempDir(t);
  const python = spawn("python3", ["-c", TERMINAL, process.execPath, SPIRE_BIN, data], { stdio: ["ignore", "pipe", "pipe"] });
  let said = "";
  python.stdout.setEncoding("utf8").on("data", (chunk: string) => (said += chunk));
  python.stderr.setEncoding("utf8").on("data", (chunk: string) => (said += chunk));
  t.after(() => python.kill("SIGKILL"));
  await until(() => /^(exit|signal) /m.test(said), "the engine on the closed terminal to end", 60_000);
  assert.equal(said.trim(), "exit 0", "the engine stopped cleanly (a kill by SIGHUP is `signal 1`)");
  assert.equal(existsSync(join(data, "engine.json")), false, "it removed engine.json, as a clean stop does");
  // Its supervisor stopped with it.
  await assertNoLeftoverProcesses();
});
