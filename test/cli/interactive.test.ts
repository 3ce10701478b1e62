/**
 * What a person at a terminal sees: the live tree (through a real
 * pseudo-terminal, made by util-linux `script`), and Ctrl-C.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses, isRunning } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { SPIRE_BIN, finished, startSpire } from "../helpers/cli.js";

checkNoLeftoverProcesses();


test("Ctrl-C cancels the run, waits for its process groups, and exits 130", async (t) => {
  const dir = tempDir(t);
  const pidFile = join(dir, "pids");
  const file = join(dir, "long.yaml");
  writeFileSync(
    file,
    `pipelines:
  long:
    tasks:
      stubborn:
        run: trap 'echo got TERM; sleep 0.2; exit 143' TERM; sleep 30 & echo "$$ $!" > "${pidFile}"; wait
        kill_grace: 5s
      other:
        run: sleep 30
`,
  );
  const child = startSpire(["run", "-f", file], { data: join(dir, "data") });
  const result = finished(child);
  await until(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").includes(" "), "the task to start");
  child.kill("SIGINT");
  const { code, stdout } = await result;
  assert.equal(code, 130, stdout);
  assert.match(stdout, /Ctrl-C: canceling the run/);
  assert.match(stdout, /stubborn canceled/);
  assert.match(stdout, /run \w+ canceled/);
  for (const pid of readFileSync(pidFile, "utf8").trim().split(" ").map(Number)) {
    // A zombie has ended: it waits only for init (not spire) to reap it.
    assert.ok(!isRunning(pid), `pid ${pid} is gone when spire exits`);
  }
});

test("on a terminal, spire run draws a live tree with progress bars", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "tree.yaml");
  writeFileSync(
    file,
    `pipelines:
  tree:
    tasks:
      fetch:
        run: for i in 1 2 3 4; do echo "::progress::$i/4"; sleep 0.15; done
      checks:
        needs: [fetch]
        group:
          lint: { run: "true" }
          unit: { run: "exit 4" }
`,
  );
  const command = [process.execPath, SPIRE_BIN, "run", "-f", file].map((part) => `'${part}'`).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    env: { ...process.env, SPIRE_DATA: join(dir, "data"), TERM: "xterm-256color", COLUMNS: "100", LINES: "40" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const { code, stdout: raw } = await finished(child);
  assert.equal(code, 1, raw);
  assert.match(raw, /\x1b\[\d+A\x1b\[J/, "the tree is redrawn in place");
  const stdout = raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
  assert.match(stdout, /█+░*\] \d+%/, "a progress bar from ::progress::");
  assert.match(stdout, /✓ .*fetch/);
  assert.match(stdout, /checks/);
  assert.match(stdout, /✗ .*unit/);
  assert.match(stdout, /unit: exit code 4/);
});
