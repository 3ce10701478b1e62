/**
 * The launchd agent, read back by a real plist parser: python3's plistlib
 * (and `plutil -lint` where the machine has it, as macOS does).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { engineArgv, stopTimeoutSeconds } from "../../src/service/engine-command.js";
import { launchdPlistArgv, launchdPlistEnvironment, launchdRefuses, renderLaunchdPlist } from "../../src/service/launchd-plist.js";
import { ENGINE_SERVICE, WORKER_SERVICE } from "../../src/service/kind.js";
import { workerArgv } from "../../src/service/worker-command.js";
import { parsePlist } from "../helpers/plist.js";
import { tempDir } from "../helpers/tmp.js";

const program = { node: "/opt/homebrew/bin/node", nodeFlags: ["--v8-pool-size=1"], script: "/Users/jane/src/spire/bin/spire.js", environment: {} };

test("the agent parses as a plist: the engine's command line exactly, kept alive, started at load, its stop timeout above the grace, its log file", (t) => {
  const data = `/Users/jane/Library/Application Support/spire <&> "q" it's`;
  const argv = engineArgv(program, { data, file: "/Users/jane/spire & co.yaml", grace: "1m" });
  const text = renderLaunchdPlist({ argv, path: "/opt/homebrew/bin:/usr/bin:/bin", home: "/Users/jane", stopTimeoutSeconds: stopTimeoutSeconds(60_000) }, ENGINE_SERVICE, "/Users/jane/Library/Logs/spire/engine.log");
  const file = join(tempDir(t), "spire.plist");
  writeFileSync(file, text);
  const plist = parsePlist(file);
  assert.deepEqual(plist, {
    Label: "spire",
    ProgramArguments: ["/opt/homebrew/bin/node", "--v8-pool-size=1", "/Users/jane/src/spire/bin/spire.js", "engine", "--data", data, "-f", "/Users/jane/spire & co.yaml", "--grace", "1m"],
    EnvironmentVariables: { PATH: "/opt/homebrew/bin:/usr/bin:/bin" },
    WorkingDirectory: "/Users/jane",
    RunAtLoad: true,
    KeepAlive: { SuccessfulExit: false },
    ExitTimeOut: 90,
    AbandonProcessGroup: true,
    StandardOutPath: "/Users/jane/Library/Logs/spire/engine.log",
    StandardErrorPath: "/Users/jane/Library/Logs/spire/engine.log",
  });
  assert.deepEqual(launchdPlistArgv(text), plist.ProgramArguments, "status reads the command line back as launchd does");
  const plutil = spawnSync("plutil", ["-lint", file], { encoding: "utf8" });
  if (!plutil.error) assert.equal(plutil.status, 0, plutil.stdout + plutil.stderr);
});

test("a control character, which XML cannot hold, is refused before anything is written", () => {
  const definition = (data: string) => ({ argv: engineArgv(program, { data, grace: "30s" }), path: "/usr/bin", home: "/Users/jane", stopTimeoutSeconds: 60 });
  assert.equal(launchdRefuses(definition("/Users/jane/data")), undefined);
  assert.match(launchdRefuses(definition("/Users/jane/\u0007data")) ?? "", /control character/);
});

test("a worker's agent: its own label and log, spire worker's command line without the token, the token in EnvironmentVariables", (t) => {
  const token = "eyJhbGciOiJIUzI1NiJ9.eyJzY29wZSI6IndvcmtlciJ9.c2ln";
  const argv = workerArgv(program, { engine: "https://laptop:7431", data: "/Users/jane/.local/share/spire/worker", workdir: "/Users/jane", labels: ["mac"] });
  const text = renderLaunchdPlist({ argv, path: "/usr/bin:/bin", home: "/Users/jane", stopTimeoutSeconds: 30, secrets: { SPIRE_TOKEN: token } }, WORKER_SERVICE, "/Users/jane/Library/Logs/spire/worker.log");
  const file = join(tempDir(t), "spire-worker.plist");
  writeFileSync(file, text);
  const plist = parsePlist(file);
  assert.equal(plist.Label, "spire-worker");
  assert.deepEqual(plist.ProgramArguments, argv);
  assert.equal((plist.ProgramArguments as string[]).includes(token), false);
  assert.deepEqual(plist.EnvironmentVariables, { PATH: "/usr/bin:/bin", SPIRE_TOKEN: token });
  assert.deepEqual(launchdPlistEnvironment(text), plist.EnvironmentVariables, "status reads the environment back as launchd does");
  assert.equal(plist.AbandonProcessGroup, true, "its tasks outlive it");
  assert.equal(plist.StandardErrorPath, "/Users/jane/Library/Logs/spire/worker.log");
  assert.match(launchdRefuses({ argv, path: "/usr/bin", home: "/Users/jane", stopTimeoutSeconds: 30, secrets: { SPIRE_TOKEN: "a\u0000b" } }) ?? "", /control character/);
});
