/** The engine or a worker as a launchd agent (macOS): `launchctl` in the user's GUI domain, logs in ~/Library/Logs/spire. */
import { join } from "node:path";
import { PLAIN_VARIABLES, type ServiceDefinition, type ServiceFile } from "./definition.js";
import type { ServiceKind } from "./kind.js";
import { launchdPlistArgv, launchdPlistEnvironment, launchdRefuses, renderLaunchdPlist } from "./launchd-plist.js";
import type { FileChange, ManagerStatus, ServiceManager } from "./manager.js";
import { problemOf, runTool, type ToolResult } from "./run-tool.js";

export class LaunchdManager implements ServiceManager {
  readonly platform = "macos" as const;
  readonly title = "launchd";
  readonly absentWhere = "an ssh session while no one is logged in at the screen";
  readonly file: string;
  readonly logFile: string;
  private readonly domain: string;

  constructor(
    home: string,
    uid: number,
    private readonly kind: ServiceKind,
  ) {
    this.file = join(home, "Library", "LaunchAgents", `${kind.name}.plist`);
    this.logFile = join(home, "Library", "Logs", "spire", `${kind.what}.log`);
    this.domain = `gui/${uid}`;
  }

  /** A worker's token is in the plist itself (EnvironmentVariables), which is written 0600. */
  get secretsPlace(): string {
    return this.file;
  }

  get logPlace(): string {
    return this.logFile;
  }

  private get service(): string {
    return `${this.domain}/${this.kind.name}`;
  }

  refuses(definition: ServiceDefinition): string | undefined {
    return launchdRefuses(definition);
  }

  files(definition: ServiceDefinition): ServiceFile[] {
    return [{ path: this.file, text: renderLaunchdPlist(definition, this.kind, this.logFile) }];
  }

  paths(): string[] {
    return [this.file];
  }

  argvOf(text: string): string[] | undefined {
    return launchdPlistArgv(text);
  }

  secretsIn(text: string): Record<string, string> {
    return Object.fromEntries(Object.entries(launchdPlistEnvironment(text)).filter(([name]) => !PLAIN_VARIABLES.includes(name)));
  }

  extraFolders(): string[] {
    // launchd opens the log file but makes no folder for it.
    return [join(this.logFile, "..")];
  }

  startCommands(change: FileChange): string[][] {
    const enable = ["launchctl", "enable", this.service];
    const bootstrap = ["launchctl", "bootstrap", this.domain, this.file];
    // Whether launchd has the agent loaded: bootstrap refuses one that is, and reads the file only then.
    const loaded = runTool(["launchctl", "print", this.service]).code === 0;
    if (!loaded) return [enable, bootstrap];
    if (change === "updated") return [["launchctl", "bootout", this.service], enable, bootstrap];
    return [enable, ["launchctl", "kickstart", this.service]];
  }

  restartCommand(): string[] {
    return ["launchctl", "kickstart", "-k", this.service];
  }

  stopCommands(): string[][] {
    // bootout stops the engine (SIGTERM: it drains) and unloads the agent; disable keeps a stale copy from loading at login.
    return [["launchctl", "bootout", this.service], ["launchctl", "disable", this.service]];
  }

  afterRemoveCommands(): string[][] {
    return [];
  }

  leftovers(): string[] {
    return [];
  }

  unavailable(result: ToolResult): boolean {
    return result.missing || /Could not find domain|Domain does not support/i.test(result.stderr);
  }

  nothingToDo(result: ToolResult): boolean {
    // bootout or disable of an agent that is not loaded.
    return /Could not find service|No such process|not find specified service/i.test(result.stderr) || result.code === 113 || result.code === 3;
  }

  status(): ManagerStatus {
    const printed = runTool(["launchctl", "print", this.service]);
    if (this.unavailable(printed)) return { reachable: false, problem: problemOf(printed, "launchctl") };
    const disabled = runTool(["launchctl", "print-disabled", this.domain]);
    const enabled = !new RegExp(`"${this.kind.name}"\\s*=>\\s*(?:disabled|true)`).test(disabled.stdout);
    if (printed.code !== 0) return { reachable: true, enabled, running: false, state: "not loaded" };
    const state = /^\s*state = (.+)$/m.exec(printed.stdout)?.[1]?.trim() ?? "loaded";
    return { reachable: true, enabled, running: state === "running", state };
  }

  logsCommand(lines: number, follow: boolean): string[] {
    return ["tail", "-n", String(lines), ...(follow ? ["-F"] : []), this.logFile];
  }
}
