/**
 * The systemd user unit, as text: what the engine is run with and how
 * systemd keeps it. That systemd itself accepts the file is checked in
 * test/cli/service.test.ts (systemd-analyze verify on what spire writes).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { engineArgv, environmentOfShebang, nodeFlagsOfShebang, stopTimeoutSeconds } from "../../src/service/engine-command.js";
import { environmentFileSecrets, renderEnvironmentFile, renderSystemdUnit as renderUnit, systemdRefuses as refuses, systemdUnitArgv } from "../../src/service/systemd-unit.js";
import { workerArgv, WORKER_STOP_TIMEOUT_SECONDS } from "../../src/service/worker-command.js";
import { ENGINE_SERVICE, WORKER_SERVICE } from "../../src/service/kind.js";
import type { ServiceDefinition } from "../../src/service/definition.js";

const ENV_FILE = "/home/jane/.config/spire/worker.env";
const renderSystemdUnit = (definition: ServiceDefinition) => renderUnit(definition, ENGINE_SERVICE, ENV_FILE);
const systemdRefuses = (definition: ServiceDefinition) => refuses(definition, ENV_FILE);

const program = { node: "/usr/bin/node", nodeFlags: ["--v8-pool-size=1"], script: "/home/jane/spire/bin/spire.js", environment: {} };

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

test("the shebang's variables (GLIBC_TUNABLES) go to the unit as they would reach node, without the installing shell's own part", () => {
  const tunables = "glibc.malloc.mmap_threshold=131072";
  assert.deepEqual(environmentOfShebang(`#!/usr/bin/env -S GLIBC_TUNABLES=${tunables}:\${GLIBC_TUNABLES} node --v8-pool-size=1`), { GLIBC_TUNABLES: tunables });
  assert.deepEqual(environmentOfShebang("#!/usr/bin/env -S A=1 B=x=y node"), { A: "1", B: "x=y" });
  assert.deepEqual(environmentOfShebang("#!/usr/bin/env -S node --v8-pool-size=1"), {});
  assert.deepEqual(environmentOfShebang("#!/opt/node/bin/node --v8-pool-size=1"), {});
  assert.deepEqual(environmentOfShebang("// no shebang"), {});
  const text = renderSystemdUnit({ ...definition(engineArgv(program, { data: "/d", grace: "30s" })), environment: { GLIBC_TUNABLES: tunables } });
  assert.deepEqual(setting(text, "Environment"), ['"PATH=/usr/bin:/bin"', `"GLIBC_TUNABLES=${tunables}"`]);
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

test("a worker's unit: spire worker with its options, its token only in the private EnvironmentFile, only the worker signalled, bad options and refused tokens not retried", () => {
  const token = "eyJhbGciOiJIUzI1NiJ9.eyJzY29wZSI6IndvcmtlciJ9.c2ln";
  const argv = workerArgv(program, { engine: "https://laptop:7431", data: "/home/jane/.local/share/spire/worker", workdir: "/home/jane", name: "gpu-box", labels: ["gpu", "linux"], tasks: 2, allowInsecure: true });
  assert.deepEqual(argv.slice(3), ["worker", "--engine", "https://laptop:7431", "--data", "/home/jane/.local/share/spire/worker", "--name", "gpu-box", "--labels", "gpu,linux", "--tasks", "2", "--workdir", "/home/jane", "--allow-insecure"]);
  const worker: ServiceDefinition = { argv, path: "/usr/bin:/bin", home: "/home/jane", stopTimeoutSeconds: WORKER_STOP_TIMEOUT_SECONDS, secrets: { SPIRE_TOKEN: token } };
  const text = renderUnit(worker, WORKER_SERVICE, "/home/jane/.config 100%/spire/worker.env");
  assert.equal(text.includes(token), false, "the token is not in the unit");
  assert.deepEqual(systemdUnitArgv(text), argv);
  assert.deepEqual(setting(text, "EnvironmentFile"), ["/home/jane/.config 100%%/spire/worker.env"], "a path, specifiers escaped");
  assert.deepEqual(setting(text, "KillMode"), ["process"], "the worker's tasks outlive it by design");
  assert.deepEqual(setting(text, "RestartPreventExitStatus"), ["2 3"]);
  assert.deepEqual(setting(text, "SyslogIdentifier"), ["spire-worker"]);
  assert.deepEqual(setting(text, "TimeoutStopSec"), ["30s"]);
  assert.match(text, /^Description=Spire worker/m);
  assert.deepEqual(setting(renderSystemdUnit(definition(argv)), "EnvironmentFile"), [], "no secrets, no EnvironmentFile");

  const file = renderEnvironmentFile({ SPIRE_TOKEN: token }, WORKER_SERVICE);
  assert.deepEqual(setting(file, "SPIRE_TOKEN"), [`'${token}'`], "single-quoted: systemd reads it verbatim");
  assert.deepEqual(environmentFileSecrets(file), { SPIRE_TOKEN: token }, "status reads it back");
  assert.equal(refuses(worker, ENV_FILE), undefined);
  assert.match(refuses({ ...worker, secrets: { SPIRE_TOKEN: "it's" } }, ENV_FILE) ?? "", /SPIRE_TOKEN cannot be written to a service's environment file/);
  assert.match(refuses({ ...worker, secrets: { SPIRE_TOKEN: "a\nEvil=1" } }, ENV_FILE) ?? "", /SPIRE_TOKEN cannot be written/);
  assert.match(refuses(worker, "/home/jane/\n/worker.env") ?? "", /control character/);
});
