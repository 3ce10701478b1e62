/** The engine as a systemd user service (Linux): `systemctl --user`, logs in the journal. */
import { dirname, join } from "node:path";
import type { ServiceDefinition } from "./definition.js";
import type { FileChange, ManagerStatus, ServiceManager } from "./manager.js";
import { problemOf, runTool, type ToolResult } from "./run-tool.js";
import { renderSystemdUnit, SYSTEMD_UNIT, systemdRefuses, systemdUnitArgv } from "./systemd-unit.js";

/** What systemctl says when no user manager runs here (a container, WSL without systemd, no login session). */
const NO_USER_MANAGER = /Failed to connect to (?:user scope )?bus|not been booted with systemd|No medium found|DBUS_SESSION_BUS_ADDRESS|XDG_RUNTIME_DIR|Host is down/i;

export class SystemdManager implements ServiceManager {
  readonly platform = "linux" as const;
  readonly title = "the systemd user manager";
  readonly absentWhere = "a container, WSL without systemd";
  readonly file: string;
  readonly logPlace = "the journal";

  constructor(configHome: string) {
    this.file = join(configHome, "systemd", "user", SYSTEMD_UNIT);
  }

  refuses(definition: ServiceDefinition): string | undefined {
    return systemdRefuses(definition);
  }

  render(definition: ServiceDefinition): string {
    return renderSystemdUnit(definition);
  }

  argvOf(text: string): string[] | undefined {
    return systemdUnitArgv(text);
  }

  extraFolders(): string[] {
    return [];
  }

  startCommands(change: FileChange): string[][] {
    const reload = ["systemctl", "--user", "daemon-reload"];
    if (change === "new") return [reload, ["systemctl", "--user", "enable", "--now", SYSTEMD_UNIT]];
    // enable --now leaves a running engine on its old command line: restart it on the new one (it drains first).
    if (change === "updated") return [reload, ["systemctl", "--user", "enable", SYSTEMD_UNIT], this.restartCommand()];
    return [["systemctl", "--user", "enable", "--now", SYSTEMD_UNIT]];
  }

  restartCommand(): string[] {
    return ["systemctl", "--user", "restart", SYSTEMD_UNIT];
  }

  stopCommands(): string[][] {
    return [["systemctl", "--user", "disable", "--now", SYSTEMD_UNIT]];
  }

  afterRemoveCommands(): string[][] {
    return [["systemctl", "--user", "daemon-reload"]];
  }

  leftovers(): string[] {
    return [join(dirname(this.file), "default.target.wants", SYSTEMD_UNIT)];
  }

  unavailable(result: ToolResult): boolean {
    return result.missing || NO_USER_MANAGER.test(result.stderr);
  }

  nothingToDo(): boolean {
    return false;
  }

  status(): ManagerStatus {
    const enabled = runTool(["systemctl", "--user", "is-enabled", SYSTEMD_UNIT]);
    if (this.unavailable(enabled)) return { reachable: false, problem: problemOf(enabled, "systemctl") };
    const active = runTool(["systemctl", "--user", "is-active", SYSTEMD_UNIT]);
    if (this.unavailable(active)) return { reachable: false, problem: problemOf(active, "systemctl") };
    const state = active.stdout.trim() || "unknown";
    return { reachable: true, enabled: enabled.stdout.trim() === "enabled", running: state === "active" || state === "reloading", state };
  }

  logsCommand(lines: number, follow: boolean): string[] {
    return ["journalctl", "--user", "-u", SYSTEMD_UNIT, "-n", String(lines), ...(follow ? ["-f"] : [])];
  }
}
