/** The engine or a worker as a systemd user service (Linux): `systemctl --user`, logs in the journal. */
import { dirname, join } from "node:path";
import type { ServiceDefinition, ServiceFile } from "./definition.js";
import type { ServiceKind } from "./kind.js";
import type { FileChange, ManagerStatus, ServiceManager } from "./manager.js";
import { problemOf, runTool, type ToolResult } from "./run-tool.js";
import { environmentFileSecrets, renderEnvironmentFile, renderSystemdUnit, systemdRefuses, systemdUnitArgv, unitName } from "./systemd-unit.js";

/** What systemctl says when no user manager runs here (a container, WSL without systemd, no login session). */
const NO_USER_MANAGER = /Failed to connect to (?:user scope )?bus|not been booted with systemd|No medium found|DBUS_SESSION_BUS_ADDRESS|XDG_RUNTIME_DIR|Host is down/i;

export class SystemdManager implements ServiceManager {
  readonly platform = "linux" as const;
  readonly title = "the systemd user manager";
  readonly absentWhere = "a container, WSL without systemd";
  readonly file: string;
  readonly logPlace = "the journal";
  /** Where a worker's token is: its own file in Spire's config folder, beside the user's own (README: secrets.env). */
  readonly secretsPlace: string;
  private readonly unit: string;

  constructor(
    configHome: string,
    private readonly kind: ServiceKind,
  ) {
    this.unit = unitName(kind);
    this.file = join(configHome, "systemd", "user", this.unit);
    this.secretsPlace = join(configHome, "spire", `${kind.what}.env`);
  }

  refuses(definition: ServiceDefinition): string | undefined {
    return systemdRefuses(definition, this.secretsPlace);
  }

  files(definition: ServiceDefinition): ServiceFile[] {
    const unit = { path: this.file, text: renderSystemdUnit(definition, this.kind, this.secretsPlace) };
    return definition.secrets ? [{ path: this.secretsPlace, text: renderEnvironmentFile(definition.secrets, this.kind) }, unit] : [unit];
  }

  paths(): string[] {
    return [this.file, this.secretsPlace];
  }

  secretsIn(text: string): Record<string, string> {
    return environmentFileSecrets(text);
  }

  argvOf(text: string): string[] | undefined {
    return systemdUnitArgv(text);
  }

  extraFolders(): string[] {
    return [];
  }

  startCommands(change: FileChange): string[][] {
    const reload = ["systemctl", "--user", "daemon-reload"];
    if (change === "new") return [reload, ["systemctl", "--user", "enable", "--now", this.unit]];
    // enable --now leaves a running engine on its old command line: restart it on the new one (it drains first).
    if (change === "updated") return [reload, ["systemctl", "--user", "enable", this.unit], this.restartCommand()];
    return [["systemctl", "--user", "enable", "--now", this.unit]];
  }

  restartCommand(): string[] {
    return ["systemctl", "--user", "restart", this.unit];
  }

  stopCommands(): string[][] {
    return [["systemctl", "--user", "disable", "--now", this.unit]];
  }

  afterRemoveCommands(): string[][] {
    return [["systemctl", "--user", "daemon-reload"]];
  }

  leftovers(): string[] {
    return [join(dirname(this.file), "default.target.wants", this.unit)];
  }

  unavailable(result: ToolResult): boolean {
    return result.missing || NO_USER_MANAGER.test(result.stderr);
  }

  nothingToDo(): boolean {
    return false;
  }

  status(): ManagerStatus {
    const enabled = runTool(["systemctl", "--user", "is-enabled", this.unit]);
    if (this.unavailable(enabled)) return { reachable: false, problem: problemOf(enabled, "systemctl") };
    const active = runTool(["systemctl", "--user", "is-active", this.unit]);
    if (this.unavailable(active)) return { reachable: false, problem: problemOf(active, "systemctl") };
    const state = active.stdout.trim() || "unknown";
    return { reachable: true, enabled: enabled.stdout.trim() === "enabled", running: state === "active" || state === "reloading", state };
  }

  logsCommand(lines: number, follow: boolean): string[] {
    return ["journalctl", "--user", "-u", this.unit, "-n", String(lines), ...(follow ? ["-f"] : [])];
  }
}
