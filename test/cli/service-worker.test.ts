/**
 * `spire service --worker`, run as a user would: the real spire with HOME and
 * XDG_CONFIG_HOME in a temporary folder. The files it writes are checked by
 * systemd itself (systemd-analyze verify) and by a plist parser.
 *
 * systemctl, launchctl and journalctl are stand-ins here, and only here: a
 * systemd user manager cannot run on this machine (systemd is not PID 1) and
 * launchd is macOS's. The stand-ins only record the commands spire runs (and
 * answer as the real ones do), which is what these tests check.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { finished, SPIRE_BIN, spire } from "../helpers/cli.js";
import { until } from "../helpers/poll.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { startEngine, stopEngine } from "../helpers/engine.js";
import { parsePlist } from "../helpers/plist.js";
import { type Home, userHome, fakeTools, service, commandsRun, tree, execStart, systemdArgv } from "./service-harness.js";

checkNoLeftoverProcesses();

function fakeToken(claims: Record<string, unknown> = { scope: "worker", sub: "gpu-box", jti: "01jbx4k2m9qz3v7c" }): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "HS256", typ: "JWT" })}.${part({ iat: 1_700_000_000, ...claims })}.${Buffer.from("signature").toString("base64url")}`;
}

function workerFiles(home: Home): { unit: string; env: string } {
  return { unit: join(home.config, "systemd", "user", "spire-worker.service"), env: join(home.config, "spire", "worker.env") };
}

function assertNoToken(token: string, ...texts: string[]): void {
  for (const text of texts) assert.equal(text.includes(token), false, `the token is shown: ${text}`);
}

test("install --worker writes its own unit beside the engine's: spire worker's options on its command line, its token only in a 0600 environment file, NODE_EXTRA_CA_CERTS carried over; systemd-analyze verify accepts it", async (t) => {
  const home = userHome(t);
  const token = fakeToken();
  assert.equal((await service(home, ["install", "--no-start"])).code, 0, "the engine's unit first: one machine may have both");
  const result = await service(home, ["install", "--worker", "--no-start", "--engine", "https://laptop.example:7431/", "--labels", "gpu,linux", "--name", "gpu-box", "--tasks", "2", "--memory", "4GiB"], { env: { SPIRE_TOKEN: token, NODE_EXTRA_CA_CERTS: "engine.pem" } });
  assert.equal(result.code, 0, result.stderr);
  assertNoToken(token, result.stdout, result.stderr);
  const { unit, env } = workerFiles(home);
  assert.match(result.stdout, new RegExp(`^Installed ${env}\nInstalled ${unit}\n`, "m"), "the token's file before the unit that names it");
  assert.match(result.stdout, /^ {2}token: gpu-box \(worker scope, id 01jbx4k2m9qz3v7c, does not expire\), from SPIRE_TOKEN; kept in \S+worker\.env \(mode 600\), not on the command line$/m);
  assert.match(result.stdout, /Not started \(--no-start\)[\s\S]*systemctl --user enable --now spire-worker\.service/);

  const made = tree(home.root).filter((entry) => !/^(home|cwd|fakes)/.test(entry));
  assert.deepEqual(made.sort(), [
    "config 700",
    "config/spire 700",
    "config/spire/worker.env 600",
    "config/systemd 700",
    "config/systemd/user 700",
    "config/systemd/user/spire-worker.service 600",
    "config/systemd/user/spire.service 600",
  ]);
  assert.match(readFileSync(home.unit, "utf8"), /"engine" "--data"/, "the engine's unit is left as it was");
  const text = readFileSync(unit, "utf8");
  assertNoToken(token, text);
  assert.equal(
    execStart(unit),
    `"${process.execPath}" "--v8-pool-size=1" "${realpathSync(SPIRE_BIN)}" "worker" "--engine" "https://laptop.example:7431" "--data" "${home.data}/worker" "--name" "gpu-box" "--labels" "gpu,linux" "--tasks" "2" "--memory" "4GiB" "--workdir" "${home.cwd}"`,
  );
  assert.match(text, new RegExp(`^EnvironmentFile=${env}$`, "m"));
  assert.match(text, new RegExp(`^Environment="NODE_EXTRA_CA_CERTS=${home.cwd}/engine\\.pem"$`, "m"), "the certificate a self-signed engine needs, from the installing shell (made absolute)");
  assert.match(text, /^KillMode=process$/m, "its tasks outlive it: only the worker gets the stop signal");
  assert.equal(readFileSync(env, "utf8").split("\n").filter((line) => !line.startsWith("#")).join("\n"), `SPIRE_TOKEN='${token}'\n`);

  const runtime = join(home.root, "runtime");
  mkdirSync(runtime, { mode: 0o700 });
  const verify = spawnSync("systemd-analyze", ["--user", "verify", unit], { cwd: home.cwd, env: { ...process.env, HOME: home.home, XDG_CONFIG_HOME: home.config, XDG_RUNTIME_DIR: runtime }, encoding: "utf8" });
  assert.ifError(verify.error);
  assert.deepEqual({ status: verify.status, output: verify.stdout + verify.stderr }, { status: 0, output: "" });
});

test("install --worker --dry-run prints both files with the token masked, and writes and runs nothing", async (t) => {
  const home = userHome(t);
  fakeTools(home, "ok");
  const token = fakeToken();
  const result = await service(home, ["install", "--worker", "--dry-run", "--engine", "http://100.64.0.1:7431", "--allow-insecure", "--token", token]);
  assert.equal(result.code, 0, result.stderr);
  assertNoToken(token, result.stdout, result.stderr);
  assert.match(result.stdout, /^Would write \S+\/spire\/worker\.env \(new; SPIRE_TOKEN shown as \*\*\*\):\n\n#[^\n]*\n#[^\n]*\nSPIRE_TOKEN='\*\*\*'\n/m);
  assert.match(result.stdout, /^Would write \S+\/spire-worker\.service \(new\):\n\n# Made by spire service install --worker/m);
  assert.match(result.stdout, /^ExecStart=.*"worker" "--engine" "http:\/\/100\.64\.0\.1:7431" .* "--allow-insecure"$/m);
  assert.match(result.stdout, /Would run:\n  systemctl --user daemon-reload\n  systemctl --user enable --now spire-worker\.service\n$/);
  assert.deepEqual(commandsRun(home), []);
  assert.equal(existsSync(home.config), false);
});

test("install --worker starts spire-worker.service; run again, nothing changes; a new token rewrites only its file, unshown, and restarts the worker", async (t) => {
  const home = userHome(t);
  fakeTools(home, "ok");
  const args = ["install", "--worker", "--engine", "https://laptop.example:7431", "--labels", "gpu"];
  const first = await service(home, [...args, "--token", fakeToken()]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /Started: the worker runs now and at each login\./);
  assert.match(first.stdout, /Check it with: spire service status --worker {3}Its log: spire service logs --worker/);
  assert.deepEqual(commandsRun(home), ["systemctl --user daemon-reload", "systemctl --user enable --now spire-worker.service"]);

  const again = await service(home, [...args, "--token", fakeToken()]);
  assert.match(again.stdout, /^Already installed, unchanged: .*spire-worker\.service$/m);
  assert.deepEqual(commandsRun(home), ["systemctl --user enable --now spire-worker.service"]);

  const newer = fakeToken({ scope: "worker", sub: "gpu-box-2", jti: "01jbx4k2m9qz3v7d" });
  const updated = await service(home, [...args, "--token", newer]);
  assert.equal(updated.code, 0, updated.stderr);
  assertNoToken(newer, updated.stdout, updated.stderr);
  assertNoToken(fakeToken(), updated.stdout, updated.stderr);
  assert.match(updated.stdout, /^Updated \S+\/worker\.env:\n {2}\(another token: not shown\)$/m);
  assert.doesNotMatch(updated.stdout, /Updated \S+spire-worker\.service/, "the unit is as it was");
  assert.match(updated.stdout, /Restarted with the new settings \(its tasks go on, and the new worker takes them up\)/);
  assert.deepEqual(commandsRun(home), ["systemctl --user daemon-reload", "systemctl --user enable spire-worker.service", "systemctl --user restart spire-worker.service"]);
  assert.match(readFileSync(workerFiles(home).env, "utf8"), new RegExp(`^SPIRE_TOKEN='${newer}'$`, "m"));
});

test("uninstall --worker stops and removes the worker's unit and its token file, says how to revoke the token, and leaves the engine's unit alone", async (t) => {
  const home = userHome(t);
  fakeTools(home, "ok");
  assert.equal((await service(home, ["install", "--no-start"])).code, 0);
  assert.equal((await service(home, ["install", "--worker", "--engine", "https://laptop.example:7431", "--token", fakeToken()])).code, 0);
  commandsRun(home);
  const { unit, env } = workerFiles(home);
  const removed = await service(home, ["uninstall", "--worker"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.deepEqual(commandsRun(home), ["systemctl --user disable --now spire-worker.service", "systemctl --user daemon-reload"]);
  assert.match(removed.stdout, /^Removed \S+spire-worker\.service: the worker no longer starts at login\.\nRemoved \S+worker\.env, which held its token\.\nIts folder \(its task supervisor, logs not yet sent\) stays in \S+\/data\/worker\.\n/m);
  assert.match(removed.stdout, /revoke it there: spire token revoke 01jbx4k2m9qz3v7c$/m);
  assert.equal(existsSync(unit), false);
  assert.equal(existsSync(env), false, "no token left on the machine");
  assert.equal(existsSync(home.unit), true, "the engine's unit stays");

  const again = await service(home, ["uninstall", "--worker"]);
  assert.match(again.stdout, /^Not installed \(no .*spire-worker\.service\): nothing to do\.$/m);
});

test("status --worker: the token described (never shown), and whether the worker that the unit runs is registered with its engine (exit 0), stopped, or refused (exit 3)", async (t) => {
  const home = userHome(t);
  fakeTools(home, "ok");
  const engineData = join(home.root, "engine-data");
  const engine = await startEngine(t, engineData);
  const made = await spire(["token", "create", "--scope", "worker", "--name", "box"], { data: engineData, env: { SPIRE_ENGINE: "" } });
  assert.equal(made.code, 0, made.stderr);
  const token = made.stdout.trim();
  const installed = await service(home, ["install", "--worker", "--engine", engine.url, "--name", "box", "--token", token]);
  assert.equal(installed.code, 0, installed.stderr);
  const { unit, env } = workerFiles(home);

  const engineStatus = await service(home, ["status"]);
  assert.match(engineStatus.stdout, /^installed +no \(spire service install installs it\)\n[\s\S]*^This machine has a worker's service: spire service status --worker$/m, "the engine's status points at the worker's");
  const before = await service(home, ["status", "--worker"]);
  assert.equal(before.code, 3, before.stdout + before.stderr);
  assert.match(before.stdout, new RegExp(`^token +box \\(worker scope, id \\S+, does not expire\\), in ${env}, mode 600$`, "m"));
  assert.match(before.stdout, /^worker +no word from a worker yet \(data: \S+\/data\/worker\)$/m);

  // What systemd would run: the unit's command line, its environment from the EnvironmentFile (sh reads single quotes as systemd does).
  const argv = systemdArgv(unit);
  const worker = spawn("sh", ["-c", 'set -a; . "$0"; exec "$@"', env, ...argv], { cwd: home.cwd, env: { ...process.env, SPIRE_TOKEN: "", SPIRE_ENGINE: "", HOME: home.home }, stdio: ["ignore", "pipe", "pipe"] });
  const exit = finished(worker);
  await until(async () => (await service(home, ["status", "--worker"])).code === 0, "the worker to register with the engine", 15_000);
  assertNoToken(token, readFileSync(`/proc/${worker.pid}/cmdline`, "latin1"));
  assert.match(readFileSync(`/proc/${worker.pid}/environ`, "latin1"), new RegExp(`(^|\0)SPIRE_TOKEN=${token}\0`), "the token reached the worker through its environment");
  const registered = await service(home, ["status", "--worker"]);
  assertNoToken(token, registered.stdout, registered.stderr);
  assert.match(registered.stdout, new RegExp(`^worker +registered with ${engine.url.replaceAll(".", "\\.")} as box since \\S+ \\(data: \\S+/data/worker\\)$`, "m"));
  const json = JSON.parse((await service(home, ["status", "--worker", "--json"])).stdout);
  assert.equal(json.kind, "worker");
  assert.equal(json.worker.registered, true);
  assert.equal(json.token.name, "box");
  assertNoToken(token, JSON.stringify(json));

  worker.kill("SIGTERM");
  assert.equal((await exit).code, 0);
  const stopped = await service(home, ["status", "--worker"]);
  assert.equal(stopped.code, 3);
  assert.match(stopped.stdout, /^worker +not running \(the last worker stopped at \S+\)/m);

  // The engine refuses a token it does not know: the worker exits 3 (not restarted: RestartPreventExitStatus), and status says why.
  const refusedToken = fakeToken({ scope: "worker", sub: "box", jti: "01nosuchtoken" });
  const refused = await finished(spawn(argv[0]!, argv.slice(1), { cwd: home.cwd, env: { ...process.env, SPIRE_TOKEN: refusedToken, SPIRE_ENGINE: "" }, stdio: ["ignore", "pipe", "pipe"] }));
  assert.equal(refused.code, 3, refused.stderr);
  const after = await service(home, ["status", "--worker"]);
  assert.match(after.stdout, new RegExp(`^worker +not running: the last worker was refused by ${engine.url.replaceAll(".", "\\.")} at \\S+: the engine answered 401`, "m"));
  await stopEngine(engine);
});

test("install --worker refuses mistakes before anything is written, each with what to do, the token never in the message", async (t) => {
  const home = userHome(t);
  fakeTools(home, "ok");
  const token = fakeToken();
  const https = ["--engine", "https://laptop.example:7431"];
  const cases: [string[], RegExp, Record<string, string>?][] = [
    [["--token", token], /a worker needs its engine: --engine URL, or SPIRE_ENGINE\nFor example:/],
    [["--engine", "laptop:7431", "--token", token], /--engine "laptop:7431": only http:\/\/ and https:\/\/ engines exist/],
    [["--engine", "not a url", "--token", token], /--engine "not a url" is not a URL/],
    [["--engine", "http://192.0.2.10:7431", "--token", token], /plain http to another machine would carry this worker's token[\s\S]*add --allow-insecure/],
    [[...https], /a worker needs a token: --token T, or SPIRE_TOKEN\nOn the engine's machine: spire token create --scope worker/],
    [[...https, "--token", "worker.token"], /--token is not a Spire token[\s\S]*--token "\$\(cat worker\.token\)"/],
    [[...https, "--token", `${token} `], /--token is not a Spire token/],
    [[...https], /SPIRE_TOKEN: the token gpu-box has the scope read, which cannot run tasks as a worker\nOn the engine's machine: spire token create --scope worker/, { SPIRE_TOKEN: fakeToken({ scope: "read", sub: "gpu-box" }) }],
    [[...https, "--token", fakeToken({ scope: "worker", sub: "old", exp: 1_700_000_100 })], /--token: the token old expired at 2023-11-14T22:15:00\.000Z/],
    [[...https, "--token", token, "--name", "-gpu"], /--name "-gpu": a worker's name is/],
    [[...https, "--token", token, "--labels", "gpu,local"], /--labels: local names the engine's own machine/],
    [[...https, "--token", token, "--tasks", "0"], /--tasks must be a whole number of at least 1/],
    [[...https, "--token", token, "--cpus", "none"], /--cpus must be a number above 0/],
    [[...https, "--token", token, "-f", "spire.yaml"], /--file is an option of the engine's service, not a worker's \(--worker\)/],
    [[...https, "--token", token, "--grace", "1m"], /--grace is an option of the engine's service/],
    [[...https, "--", "--token", token], /--token is an option of spire service install --worker itself\nGive it before the --/],
    [[...https, "--token", token, "--", "--labelz", "gpu"], /spire worker has no option --labelz\nSee spire worker --help/],
  ];
  for (const [args, message, env] of cases) {
    const result = await service(home, ["install", "--worker", ...args], env ? { env } : {});
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(" "));
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    assertNoToken(token, result.stdout, result.stderr);
  }
  // Without --worker, a worker's option says what is missing.
  for (const args of [["--token", token], ["--engine", "https://laptop.example:7431"], ["--labels", "gpu"]]) {
    const result = await service(home, ["install", ...args]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`^spire: ${args[0]} is an option of a worker's service: add --worker\nFor example: spire service install --worker`, "m"));
    assertNoToken(token, result.stdout, result.stderr);
  }
  assert.equal(existsSync(home.config), false, "nothing written");
  assert.deepEqual(commandsRun(home), [], "nothing run");
});

test("--worker on macOS: an agent of its own, spire-worker, its token in the 0600 plist's environment and not its arguments; status and logs name it", async (t) => {
  const home = userHome(t);
  fakeTools(home, "ok");
  const token = fakeToken();
  const plist = join(home.home, "Library", "LaunchAgents", "spire-worker.plist");
  const result = await service(home, ["install", "--worker", "--platform", "macos", "--engine", "https://laptop.example:7431", "--token", token]);
  assert.equal(result.code, 0, result.stderr);
  assertNoToken(token, result.stdout, result.stderr);
  const uid = process.getuid!();
  assert.deepEqual(commandsRun(home), [`launchctl print gui/${uid}/spire-worker`, `launchctl enable gui/${uid}/spire-worker`, `launchctl bootstrap gui/${uid} ${plist}`]);
  const parsed = parsePlist(plist);
  assert.equal(parsed.Label, "spire-worker");
  assert.deepEqual((parsed.ProgramArguments as string[]).slice(3, 8), ["worker", "--engine", "https://laptop.example:7431", "--data", `${home.data}/worker`]);
  assertNoToken(token, ...(parsed.ProgramArguments as string[]));
  assert.equal((parsed.EnvironmentVariables as Record<string, string>).SPIRE_TOKEN, token);
  assert.equal(parsed.StandardErrorPath, join(home.home, "Library", "Logs", "spire", "worker.log"));
  assert.deepEqual(tree(home.home), ["Library 700", "Library/LaunchAgents 700", "Library/LaunchAgents/spire-worker.plist 600", "Library/Logs 700", "Library/Logs/spire 700"]);

  const dry = await service(home, ["install", "--worker", "--platform", "macos", "--engine", "https://laptop.example:7431", "--token", token, "--dry-run"]);
  assertNoToken(token, dry.stdout, dry.stderr);
  assert.match(dry.stdout, /<key>SPIRE_TOKEN<\/key>\n {4}<string>\*\*\*<\/string>/);

  const status = await service(home, ["status", "--worker", "--platform", "macos"]);
  assertNoToken(token, status.stdout, status.stderr);
  assert.match(status.stdout, new RegExp(`^token +gpu-box \\(worker scope, id 01jbx4k2m9qz3v7c, does not expire\\), in ${plist}, mode 600$`, "m"));
  commandsRun(home);

  const removed = await service(home, ["uninstall", "--worker", "--platform", "macos"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.deepEqual(commandsRun(home), [`launchctl bootout gui/${uid}/spire-worker`, `launchctl disable gui/${uid}/spire-worker`]);
  assert.equal(existsSync(plist), false);
});
