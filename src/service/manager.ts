/**
 * A service manager as `spire service` uses it: where the file goes, how it
 * is written, which commands start, stop and show it. One per platform
 * (systemd's user manager on Linux, launchd on macOS) and kind of service
 * (the engine, a worker).
 */
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { ServiceDefinition, ServiceFile } from "./definition.js";
import type { ServiceKind } from "./kind.js";
import type { ToolResult } from "./run-tool.js";
import { LaunchdManager } from "./launchd.js";
import { SystemdManager } from "./systemd.js";

export type ServicePlatform = "linux" | "macos";
export const SERVICE_PLATFORMS: readonly ServicePlatform[] = ["linux", "macos"];

/** How the file compares with what is installed. */
export type FileChange = "new" | "updated" | "unchanged";

export interface ManagerStatus {
  /** The manager answered; when not, `problem` says why and the rest is unknown. */
  reachable: boolean;
  problem?: string;
  /** Starts at login. */
  enabled?: boolean;
  running?: boolean;
  /** The manager's own word for the state (active, failed, …). */
  state?: string;
}

export interface ServiceManager {
  readonly platform: ServicePlatform;
  /** The manager, for messages: "the systemd user manager", "launchd". */
  readonly title: string;
  /** Where it typically cannot be asked, for messages: "a container, WSL without systemd". */
  readonly absentWhere: string;
  /** The service file. */
  readonly file: string;
  /** Where the program's output can be read, for messages. */
  readonly logPlace: string;
  /** The private file (0600) that holds the definition's secrets: the service file itself, or one beside it. */
  readonly secretsPlace: string;
  /** Why the definition cannot be written or run by this manager (a path it cannot hold), if it cannot. */
  refuses(definition: ServiceDefinition): string | undefined;
  /** The files to write, in this order (secrets before the file that names them), the service file among them. */
  files(definition: ServiceDefinition): ServiceFile[];
  /** Every file files() may write: what uninstall removes. */
  paths(): string[];
  /** The command line in a file this manager wrote. */
  argvOf(text: string): string[] | undefined;
  /** The secrets in the text of secretsPlace. */
  secretsIn(text: string): Record<string, string>;
  /** Folders to create (privately) before the manager is asked to start the service, beside the file's own. */
  extraFolders(): string[];
  /** The commands that make the service run from its file and start at login. */
  startCommands(change: FileChange): string[][];
  /** The command that restarts the program (to run new code, or after another engine stopped). */
  restartCommand(): string[];
  /** The commands that stop it and keep it from starting at login (the file is removed after them). */
  stopCommands(): string[][];
  /** The commands to run once the file is gone. */
  afterRemoveCommands(): string[][];
  /** Files the manager would have removed itself, removed by hand when it cannot be asked. */
  leftovers(): string[];
  /** The failure says the manager is not there (not installed, not running here), rather than that it refused. */
  unavailable(result: ToolResult): boolean;
  /** The failure of a stop command means there was nothing to stop. */
  nothingToDo(result: ToolResult): boolean;
  status(): ManagerStatus;
  logsCommand(lines: number, follow: boolean): string[];
}

export function hostPlatform(): ServicePlatform | undefined {
  return process.platform === "linux" ? "linux" : process.platform === "darwin" ? "macos" : undefined;
}

export function managerFor(platform: ServicePlatform, kind: ServiceKind): ServiceManager {
  const home = homedir();
  if (platform === "macos") return new LaunchdManager(home, process.getuid?.() ?? 0, kind);
  const xdg = process.env.XDG_CONFIG_HOME;
  return new SystemdManager(xdg && isAbsolute(xdg) ? xdg : join(home, ".config"), kind);
}
