/**
 * `spire service`, run as a user would: the real spire with HOME and
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
import { existsSync, rmSync, linkSync, copyFileSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { SPIRE_BIN } from "../helpers/cli.js";
import { startEngine, stopEngine } from "../helpers/engine.js";
import { parsePlist } from "../helpers/plist.js";
import { userHome, fakeTools, service, commandsRun, tree, execStart } from "./service-harness.js";

checkNoLeftoverProcesses();

test("install writes only the unit, private, in the user's config folder; systemd-analyze verify accepts it, odd paths included", async (t) => {
  const home = userHome(t);
  // A node and a data folder whose paths have spaces, specifiers and variables in them: systemd must run exactly these.
  const odd = join(home.root, "node 20%h $HOME ${HOME}");
  mkdirSync(odd);
  try {
    linkSync(process.execPath, join(odd, "node"));
  } catch {
    copyFileSync(process.execPath, join(odd, "node"));
  }
  home.data = join(home.root, `data %h $HOME \${HOME} "quoted" back\\slash`);
  const result = await service(home, ["install", "--no-start"], { node: join(odd, "node"), path: "/usr/bin:/bin" });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Installed .*spire\.service/);
  assert.match(result.stdout, /Not started \(--no-start\)[\s\S]*systemctl --user daemon-reload\n  systemctl --user enable --now spire\.service/);

  const made = tree(home.root).filter((entry) => !/^(home|cwd|fakes|node 20)/.test(entry));
  assert.deepEqual(made.sort(), ["config 700", "config/systemd 700", "config/systemd/user 700", "config/systemd/user/spire.service 600"]);
  assert.deepEqual(readdirSync(home.home), [], "nothing in HOME: XDG_CONFIG_HOME was given");
  assert.deepEqual(readdirSync(home.cwd), [], "nothing in the working folder");
  assert.equal(existsSync(home.data), false, "the data folder is the engine's to make");

  assert.equal(
    execStart(home.unit),
    `"${odd.replaceAll("%", "%%")}/node" "--v8-pool-size=1" "${realpathSync(SPIRE_BIN)}" "engine" "--data" "${home.root.replaceAll("%", "%%")}/data %%h $$HOME $\${HOME} \\"quoted\\" back\\\\slash" "--grace" "30s"`,
    "this node, the shebang's flags, the script's real path, the data folder: each one word, escaped",
  );

  const runtime = join(home.root, "runtime");
  mkdirSync(runtime, { mode: 0o700 });
  const verify = spawnSync("systemd-analyze", ["--user", "verify", home.unit], { cwd: home.cwd, env: { ...process.env, HOME: home.home, XDG_CONFIG_HOME: home.config, XDG_RUNTIME_DIR: runtime }, encoding: "utf8" });
  assert.ifError(verify.error);
  // verify exits 0 on warnings (an unknown key, a bad KillMode): any output is a failure here.
  assert.deepEqual({ status: verify.status, output: verify.stdout + verify.stderr }, { status: 0, output: "" });
});

test("install enables and starts the unit, then changes nothing when run again, and updates and restarts it when an option changed", async (t) => {
  const home = userHome(t);
  fakeTools(home, "ok");
  const first = await service(home, ["install"]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /Installed .*\n  runs: .* engine --data .* --grace 30s\nStarted: the engine runs now and at each login/);
  assert.deepEqual(commandsRun(home), ["systemctl --user daemon-reload", "systemctl --user enable --now spire.service"]);
  const written = readFileSync(home.unit, "utf8");
  const writtenAt = statSync(home.unit).mtimeMs;

  const again = await service(home, ["install"]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^Already installed, unchanged: .*spire\.service$/m);
  assert.deepEqual(commandsRun(home), ["systemctl --user enable --now spire.service"], "no reload, no restart");
  assert.equal(readFileSync(home.unit, "utf8"), written);
  assert.equal(statSync(home.unit).mtimeMs, writtenAt, "the file was not rewritten");

  const updated = await service(home, ["install", "--grace", "2m", "--listen", "127.0.0.1:7500"]);
  assert.equal(updated.code, 0, updated.stderr);
  assert.match(updated.stdout, /^Updated .*spire\.service:$/m);
  assert.match(updated.stdout, /^  \+ TimeoutStopSec=150s$/m);
  assert.match(updated.stdout, /^  - TimeoutStopSec=60s$/m);
  assert.match(updated.stdout, /Restarted with the new settings/);
  assert.deepEqual(commandsRun(home), ["systemctl --user daemon-reload", "systemctl --user enable spire.service", "systemctl --user restart spire.service"]);
  assert.match(execStart(home.unit), /"--listen" "127\.0\.0\.1:7500" "--grace" "2m"$/);
});

test("--dry-run prints the file and the commands, and writes and runs nothing", async (t) => {
  const home = userHome(t);
  fakeTools(home, "ok");
  const result = await service(home, ["install", "--dry-run", "--", "--keep-days", "7", "--parallelism=2"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Would write .*spire\.service \(new\):\n\n# Made by spire service install/m);
  assert.match(result.stdout, /^ExecStart=.*"engine" "--data" .* "--grace" "30s" "--keep-days" "7" "--parallelism=2"$/m, "engine options after -- are passed on");
  assert.match(result.stdout, /Would run:\n  systemctl --user daemon-reload\n  systemctl --user enable --now spire\.service\n$/);
  assert.deepEqual(commandsRun(home), []);
  assert.equal(existsSync(home.config), false);
});

test("without a systemd user manager (a container, WSL), install writes the unit, says what to run instead and exits 1", async (t) => {
  const home = userHome(t);
  fakeTools(home, "no-user-manager");
  const result = await service(home, ["install"]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.equal(existsSync(home.unit), true, "the unit is written");
  assert.match(result.stderr, /^spire: the engine was not started: the systemd user manager cannot be asked here \(systemctl: Failed to connect to bus: No medium found\)\.$/m);
  assert.match(result.stderr, /start it with:\n  systemctl --user daemon-reload\n  systemctl --user enable --now spire\.service\n/);
  assert.match(result.stderr, /run the engine another way[^\n]*\n  \S+ --v8-pool-size=1 \S+spire\.js engine --data \S+ --grace 30s\n/);
  assert.deepEqual(commandsRun(home), ["systemctl --user daemon-reload"]);

  // systemctl not installed at all: the same advice.
  const missing = await service(home, ["install"], { path: home.cwd });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot be asked here \(systemctl: systemctl is not on PATH\)/);
});

test("uninstall stops, disables and removes the unit and keeps the data; a second uninstall has nothing to do", async (t) => {
  const home = userHome(t);
  fakeTools(home, "ok");
  assert.equal((await service(home, ["install"])).code, 0);
  commandsRun(home);
  const removed = await service(home, ["uninstall"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /^Removed .*spire\.service: the engine no longer starts at login\.\nIts data \(runs, logs, definitions\) stays in .*\/data\.$/m);
  assert.deepEqual(commandsRun(home), ["systemctl --user disable --now spire.service", "systemctl --user daemon-reload"]);
  assert.equal(existsSync(home.unit), false);

  const again = await service(home, ["uninstall"]);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /^Not installed \(no .*spire\.service\): nothing to do\.$/m);
  assert.deepEqual(commandsRun(home), []);
});

test("status says installed, enabled, running, and whether the engine of the unit's data folder answers (exit 0), or not (exit 3)", async (t) => {
  const home = userHome(t);
  fakeTools(home, "ok");
  assert.equal((await service(home, ["install"])).code, 0);
  const silent = await service(home, ["status"]);
  assert.equal(silent.code, 3, silent.stderr);
  assert.match(silent.stdout, /^engine +does not answer \(data: .*\/data\)$/m);

  const engine = await startEngine(t, home.data);
  // The unit's --data decides, not this shell's SPIRE_DATA.
  const otherShell = { ...home, data: join(home.root, "elsewhere") };
  const answered = await service(otherShell, ["status"]);
  assert.equal(answered.code, 0, answered.stdout + answered.stderr);
  assert.match(answered.stdout, /^installed +yes: .*spire\.service$/m);
  assert.match(answered.stdout, /^runs +\S+ --v8-pool-size=1 \S+ engine --data \S+\/data --grace 30s$/m);
  assert.match(answered.stdout, /^enabled +yes: starts at login$/m);
  assert.match(answered.stdout, /^running +yes \(active\)$/m);
  assert.match(answered.stdout, new RegExp(`^engine +answers at ${engine.url.replaceAll(".", "\\.")}, pid ${engine.child.pid} \\(data: .*/data\\)$`, "m"));
  const json = JSON.parse((await service(otherShell, ["status", "--json"])).stdout);
  assert.equal(json.installed, true);
  assert.equal(json.enabled, true);
  assert.deepEqual(json.engine, { answers: true, url: engine.url, pid: engine.child.pid });
  assert.equal(json.outside_service, null);
  await stopEngine(engine);

  fakeTools(home, "no-user-manager");
  const unknown = await service(home, ["status"]);
  assert.match(unknown.stdout, /^enabled +unknown: the systemd user manager cannot be asked here \(Failed to connect to bus: No medium found\)$/m);
});

test("status with no service installed says so and exits 3, also when an engine started in a terminal answers: which one, and where", async (t) => {
  const home = userHome(t);
  fakeTools(home, "stopped");
  const none = await service(home, ["status"]);
  assert.equal(none.code, 3, none.stdout + none.stderr);
  assert.match(none.stdout, /^installed +no \(spire service install installs it\)$/m);

  const engine = await startEngine(t, home.data);
  const pid = engine.child.pid!;
  const url = engine.url.replaceAll(".", "\\.");
  const status = await service(home, ["status"]);
  assert.equal(status.code, 3, status.stdout + status.stderr);
  assert.match(status.stdout, /^installed +no \(spire service install installs it\)$/m);
  assert.match(status.stdout, new RegExp(`^engine +answers at ${url}, pid ${pid} \\(data: ${home.data}\\)$`, "m"));
  assert.match(
    status.stdout,
    new RegExp(`^The service is not installed: the engine that answers runs outside it, in the foreground \\(pid ${pid}, at ${url}, data folder ${home.data}\\), and does not start at login\\. To have one that does, stop that one \\(Ctrl-C where it runs\\), then: spire service install$`, "m"),
  );
  const json = JSON.parse((await service(home, ["status", "--json"])).stdout);
  assert.deepEqual({ installed: json.installed, engine: json.engine, outside_service: json.outside_service }, { installed: false, engine: { answers: true, url: engine.url, pid }, outside_service: { pid } });

  // Installed, but stopped: the engine that answers is still not the service's.
  assert.equal((await service(home, ["install", "--no-start"])).code, 0);
  const stopped = await service(home, ["status"]);
  assert.equal(stopped.code, 3, stopped.stdout + stopped.stderr);
  assert.match(stopped.stdout, new RegExp(`^The service is not running: the engine that answers runs outside it, in the foreground \\(pid ${pid}, .*\\), and the service's engine cannot start beside it\\. Stop that one \\(Ctrl-C where it runs\\), then: systemctl --user restart spire\\.service$`, "m"));
  await stopEngine(engine);
});

test("install says when an engine of the data folder already runs outside the service, which keeps the service's engine from starting", async (t) => {
  const home = userHome(t);
  fakeTools(home, "stopped");
  const engine = await startEngine(t, home.data);
  const result = await service(home, ["install"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, new RegExp(`^spire: but an engine of this data folder already runs at ${engine.url.replaceAll(".", "\\.")}, not as the service.*\nStop that one \\(Ctrl-C where it runs\\), then: systemctl --user restart spire\\.service$`, "m"));
  await stopEngine(engine);
});

test("status says when a file the unit runs is gone, and what to do", async (t) => {
  const home = userHome(t);
  fakeTools(home, "ok");
  const file = join(home.cwd, "spire.yaml");
  writeFileSync(file, "pipelines:\n  hello:\n    tasks:\n      say: { run: echo hello }\n");
  assert.equal((await service(home, ["install", "-f", "spire.yaml", "--no-start"])).code, 0);
  assert.match(execStart(home.unit), new RegExp(` "-f" "${file}" `), "-f made absolute");
  rmSync(file);
  const status = await service(home, ["status"]);
  assert.match(status.stdout, new RegExp(`^missing +${file}: gone, so the engine cannot start: put it back, or run spire service install -f FILE with another$`, "m"));
});

test("logs passes -n and -f to journalctl --user -u spire.service (with --worker, spire-worker.service)", async (t) => {
  const home = userHome(t);
  fakeTools(home, "ok");
  const result = await service(home, ["logs", "-n", "5", "-f"]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(commandsRun(home), ["journalctl --user -u spire.service -n 5 -f"]);
  const worker = await service(home, ["logs", "--worker", "-n", "20"]);
  assert.equal(worker.code, 0, worker.stderr);
  assert.deepEqual(commandsRun(home), ["journalctl --user -u spire-worker.service -n 20"]);
  const bad = await service(home, ["logs", "-n", "many"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--lines "many" is not a whole number/);
});

test("--platform macos: a launchd agent in ~/Library/LaunchAgents, bootstrapped and enabled once, its log folder private; uninstall boots it out", async (t) => {
  const home = userHome(t);
  fakeTools(home, "ok");
  const plist = join(home.home, "Library", "LaunchAgents", "spire.plist");
  const first = await service(home, ["install", "--platform", "macos"]);
  assert.equal(first.code, 0, first.stderr);
  const uid = process.getuid!();
  assert.deepEqual(commandsRun(home), [`launchctl print gui/${uid}/spire`, `launchctl enable gui/${uid}/spire`, `launchctl bootstrap gui/${uid} ${plist}`]);
  const parsed = parsePlist(plist);
  assert.deepEqual((parsed.ProgramArguments as string[]).slice(1), ["--v8-pool-size=1", realpathSync(SPIRE_BIN), "engine", "--data", home.data, "--grace", "30s"]);
  assert.equal(parsed.StandardErrorPath, join(home.home, "Library", "Logs", "spire", "engine.log"));
  assert.deepEqual(tree(home.home), ["Library 700", "Library/LaunchAgents 700", "Library/LaunchAgents/spire.plist 600", "Library/Logs 700", "Library/Logs/spire 700"]);
  assert.equal(existsSync(home.config), false, "no XDG folder on macOS");

  const again = await service(home, ["install", "--platform", "macos"]);
  assert.match(again.stdout, /Already installed, unchanged/);
  assert.deepEqual(commandsRun(home), [`launchctl print gui/${uid}/spire`, `launchctl enable gui/${uid}/spire`, `launchctl kickstart gui/${uid}/spire`], "loaded already: no second bootstrap");

  const status = await service(home, ["status", "--platform", "macos"]);
  assert.match(status.stdout, /^running +yes \(running\)$/m);
  commandsRun(home);

  const removed = await service(home, ["uninstall", "--platform", "macos"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.deepEqual(commandsRun(home), [`launchctl bootout gui/${uid}/spire`, `launchctl disable gui/${uid}/spire`]);
  assert.equal(existsSync(plist), false);
});

test("on macOS, logs tails the agent's log file", async (t) => {
  const home = userHome(t);
  const log = join(home.home, "Library", "Logs", "spire", "engine.log");
  const none = await service(home, ["logs", "--platform", "macos"]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no log yet: .*engine\.log does not exist/);
  mkdirSync(join(log, ".."), { recursive: true });
  writeFileSync(log, "one\ntwo\nthree\n");
  const result = await service(home, ["logs", "--platform", "macos", "-n", "2"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "two\nthree\n");
});

test("mistakes are refused before anything is written, each with what to do", async (t) => {
  const home = userHome(t);
  fakeTools(home, "ok");
  const bad = join(home.cwd, "bad.yaml");
  writeFileSync(bad, "pipelines:\n  p:\n    tasks:\n      t: { run: 1, bogus: true }\n");
  const cases: [string[], RegExp][] = [
    [["install", "--grace", "soon"], /--grace "soon" is not a duration\nFor example: --grace 30s/],
    [["install", "--listen", "0.0.0.0:7431"], /refusing to listen on 0\.0\.0\.0:7431/],
    [["install", "-f", bad], /bad\.yaml has \d+ errors?:[\s\S]*Nothing was installed/],
    [["install", "-f", join(home.cwd, "missing.yaml")], /missing\.yaml/],
    [["install", "--platform", "windows"], /argument 'windows' is invalid/],
    [["install", "--", "--keep-dayz", "7"], /spire engine has no option --keep-dayz\nSee spire engine --help/],
    [["install", "--", "--grace", "1m"], /--grace is an option of spire service install itself\nGive it before the --/],
  ];
  for (const [args, message] of cases) {
    const result = await service(home, args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(" "));
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  }
  assert.equal(existsSync(home.config), false);
  assert.deepEqual(commandsRun(home), []);
});

// ---- A worker's service (--worker) ----

/** A token shaped as the engine makes them (install reads it but cannot verify it: only the engine can). */
