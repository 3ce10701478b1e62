/**
 * The systemd user unit, as text: what the engine is run with and how
 * systemd keeps it. That systemd itself accepts the file is checked in
 * test/cli/service.test.ts (systemd-analyze verify on what spire writes).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { engineArgv, nodeFlagsOfShebang, stopTimeoutSeconds } from "../../src/service/engine-command.js";
import { renderSystemdUnit, systemdRefuses, systemdUnitArgv } from "../../src/service/systemd-unit.js";
import type { ServiceDefinition } from "../../src/service/definition.js";

const program = { node: "/usr/bin/node", nodeFlags: ["--v8-pool-size=1"], script: "/home/jane/spire/bin/spire.js" };

function definition(argv: string[], path = "/usr/bin:/bin"): ServiceDefinition {
  return { argv, path, home: "/home/jane", stopTimeoutSeconds: 60 };
}

function setting(text: string, key: string): string[] {
  return [...text.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((match) => match[1]!);
}

test("the engine runs as this node with its shebang's flags, this script, and the given data folder, file, address and grace", () => {
  assert.deepEqual(nodeFlagsOfShebang("#!/usr/bin/env -S node --v8-pool-size=1"), ["--v8-pool-size=1"]);
  assert.deepEqual(nodeFlagsOfShebang("#!/usr/bin/env node"), []);
  assert.deepEqual(nodeFlagsOfShebang("#!/opt/node/bin/node --max-old-space-size=512 --v8-pool-size=1"), ["--max-old-space-size=512", "--v8-pool-size=1"]);
  assert.deepEqual(nodeFlagsOfShebang("// no shebang"), []);
  const argv = engineArgv(program, { data: "/home/jane/.local/share/spire", file: "/home/jane/spire.yaml", listen: "127.0.0.1:8080", grace: "2m" });
  assert.deepEqual(argv, ["/usr/bin/node", "--v8-pool-size=1", "/home/jane/spire/bin/spire.js", "engine", "--data", "/home/jane/.local/share/spire", "-f", "/home/jane/spire.yaml", "--listen", "127.0.0.1:8080", "--grace", "2m"]);
  const text = renderSystemdUnit({ ...definition(argv), stopTimeoutSeconds: stopTimeoutSeconds(120_000) });
  assert.deepEqual(setting(text, "ExecStart"), [
    '"/usr/bin/node" "--v8-pool-size=1" "/home/jane/spire/bin/spire.js" "engine" "--data" "/home/jane/.local/share/spire" "-f" "/home/jane/spire.yaml" "--listen" "127.0.0.1:8080" "--grace" "2m"',
  ]);
  assert.deepEqual(systemdUnitArgv(text), argv, "status reads the command line back");
});

test("systemd keeps the engine as a drain needs: restart on failure, only the engine signalled, the stop timeout above the grace, logs in the journal, started at login", () => {
  const text = renderSystemdUnit({ ...definition(engineArgv(program, { data: "/d", grace: "45s" })), stopTimeoutSeconds: stopTimeoutSeconds(45_000) });
  assert.deepEqual(setting(text, "Restart"), ["on-failure"]);
  assert.deepEqual(setting(text, "KillMode"), ["process"], "the supervisor and its tasks outlive a crashed engine");
  assert.deepEqual(setting(text, "TimeoutStopSec"), ["75s"], "45s of grace, then the tasks' kill grace and notifications");
  assert.deepEqual(setting(text, "StandardError"), ["journal"]);
  assert.deepEqual(setting(text, "WantedBy"), ["default.target"]);
  assert.deepEqual(setting(text, "RestartPreventExitStatus"), ["2"], "a bad option or file is not retried forever");
  assert.equal(stopTimeoutSeconds(1500), 32, "a grace in milliseconds rounds up");
});

test("no path becomes another argument, a specifier or a variable: quotes, backslashes, % and $ are escaped ($ stays as it is in the program path, where systemd expands no variables)", () => {
  const data = `/home/jane/my "data" 100% $HOME \${HOME} back\\slash it's`;
  const argv = engineArgv({ ...program, node: "/opt/node 20%/$PATH/node" }, { data, grace: "30s" });
  const text = renderSystemdUnit(definition(argv, "/home/jane/bin 50%:/usr/bin"));
  assert.deepEqual(setting(text, "ExecStart"), [
    `"/opt/node 20%%/$PATH/node" "--v8-pool-size=1" "/home/jane/spire/bin/spire.js" "engine" "--data" "/home/jane/my \\"data\\" 100%% $$HOME $\${HOME} back\\\\slash it's" "--grace" "30s"`,
  ]);
  assert.deepEqual(setting(text, "Environment"), ['"PATH=/home/jane/bin 50%%:/usr/bin"'], "Environment= expands specifiers but no variables");
  assert.deepEqual(systemdUnitArgv(text), argv);
  assert.equal(systemdRefuses(definition(argv)), undefined);
});

test("a path systemd cannot hold is refused before anything is written: quotes in the program's path, control characters anywhere", () => {
  assert.match(systemdRefuses(definition(engineArgv({ ...program, node: `/opt/it's/node` }, { data: "/d", grace: "30s" }))) ?? "", /quotes or backslashes: \/opt\/it's\/node/);
  assert.match(systemdRefuses(definition(engineArgv(program, { data: "/d\nExecStartPre=/bin/evil", grace: "30s" }))) ?? "", /control character/);
  assert.match(systemdRefuses(definition(engineArgv(program, { data: "/d", grace: "30s" }), "/bin\n[Service]")) ?? "", /control character/);
});
