/**
 * What the `spire service` tests share: a user's HOME in a temporary folder,
 * stand-ins for systemctl, launchctl and journalctl that record what spire
 * runs, and readers of the files it writes.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { SPIRE_BIN, spire, type SpireResult } from "../helpers/cli.js";
import { systemdUnitArgv } from "../../src/service/systemd-unit.js";
import { tempDir } from "../helpers/tmp.js";

export interface Home {
  root: string;
  home: string;
  config: string;
  data: string;
  cwd: string;
  fakes: string;
  log: string;
  unit: string;
}

/** HOME, XDG_CONFIG_HOME, the data folder and the working folder of a user, all in one temporary folder. */
export function userHome(t: TestContext): Home {
  const root = tempDir(t, "spire-service-");
  const home: Home = {
    root,
    home: join(root, "home"),
    config: join(root, "config"),
    data: join(root, "data"),
    cwd: join(root, "cwd"),
    fakes: join(root, "fakes"),
    log: join(root, "fakes", "commands.log"),
    unit: join(root, "config", "systemd", "user", "spire.service"),
  };
  for (const dir of [home.home, home.cwd, home.fakes]) mkdirSync(dir);
  writeFileSync(home.log, "");
  return home;
}

/**
 * Stand-ins for the service manager's tools: each records its command line
 * and answers as the real tool does in the situation `mode` names.
 */
export function fakeTools(home: Home, mode: "ok" | "stopped" | "no-user-manager"): void {
  const tool = (name: string, body: string) => {
    const file = join(home.fakes, name);
    writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> "${home.log}"\n${body}\n`);
    chmodSync(file, 0o755);
  };
  tool(
    "systemctl",
    mode === "no-user-manager"
      ? `echo "Failed to connect to bus: No medium found" >&2; exit 1`
      : mode === "stopped"
        ? `case "$2" in is-active) echo inactive; exit 3;; is-enabled) echo disabled; exit 1;; esac; exit 0`
        : `case "$2" in is-active) echo active;; is-enabled) echo enabled;; esac; exit 0`,
  );
  tool("journalctl", "exit 0");
  // launchctl keeps whether the agent is loaded, as launchd does: bootstrap refuses a loaded one, bootout an unloaded one.
  tool(
    "launchctl",
    `loaded="${home.fakes}/loaded"
case "$1" in
  print) if [ -f "$loaded" ]; then printf 'gui/0/spire = {\\n\\tstate = running\\n\\tpid = 42\\n}\\n'; exit 0; fi
         echo "Could not find service \\"spire\\" in domain for port" >&2; exit 113;;
  print-disabled) printf 'disabled services = {\\n}\\n';;
  bootstrap) if [ -f "$loaded" ]; then echo "Bootstrap failed: 5: Input/output error" >&2; exit 5; fi; touch "$loaded";;
  bootout) if [ ! -f "$loaded" ]; then echo "Boot-out failed: 3: No such process" >&2; exit 3; fi; rm "$loaded";;
esac
exit 0`,
  );
}

export function service(home: Home, args: string[], { path, node, env: more }: { path?: string; node?: string; env?: Record<string, string> } = {}): Promise<SpireResult> | SpireResult {
  // No engine or token from the environment of whoever runs the tests.
  const env = { HOME: home.home, XDG_CONFIG_HOME: home.config, PATH: path ?? `${home.fakes}:${process.env.PATH}`, SPIRE_ENGINE: "", SPIRE_TOKEN: "", ...more };
  if (node === undefined) return spire(["service", ...args], { data: home.data, cwd: home.cwd, env });
  // Another node binary: run directly (the helper runs the test's own node).
  const result = spawnSync(node, [SPIRE_BIN, "service", ...args], { cwd: home.cwd, env: { ...process.env, SPIRE_DATA: home.data, NO_COLOR: "1", ...env }, encoding: "utf8" });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

export function commandsRun(home: Home): string[] {
  const lines = readFileSync(home.log, "utf8").split("\n").filter(Boolean);
  writeFileSync(home.log, "");
  return lines;
}

/** Every file and folder under `dir`, relative, with its permission bits. */
export function tree(dir: string, prefix = ""): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((entry) => {
    const path = join(dir, entry.name);
    const mode = (statSync(path).mode & 0o777).toString(8);
    return [`${prefix}${entry.name} ${mode}`, ...(entry.isDirectory() ? tree(path, `${prefix}${entry.name}/`) : [])];
  });
}

export function execStart(unit: string): string {
  return /^ExecStart=(.*)$/m.exec(readFileSync(unit, "utf8"))![1]!;
}

/** The unit's command line as systemd runs it (its quoting undone; systemd-analyze verify checks the same text). */
export function systemdArgv(unit: string): string[] {
  return systemdUnitArgv(readFileSync(unit, "utf8"))!;
}
