/**
 * `spire service install | uninstall | status | logs`: the engine started at
 * login by the user's own service manager (a systemd user unit on Linux, a
 * launchd agent on macOS), running the `spire` that installed it. Only the
 * user's own config folders are written; a machine whose service manager
 * cannot be asked (a container, WSL without systemd) gets the file and the
 * commands to run instead.
 */
import { existsSync, rmSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { resolve } from "node:path";
import { CliError, EXIT } from "../errors.js";
import { dataDir } from "../data-dir.js";
import { findEngine } from "../connect.js";
import { loadFileOrFail } from "../context.js";
import { quoteForDisplay } from "../adhoc/job.js";
import { parseDurationMs } from "../../definitions/units.js";
import type { DefinitionsFormat } from "../../definitions/compat/format.js";
import { engineArgv, stopTimeoutSeconds } from "../../service/engine-command.js";
import type { ServiceDefinition } from "../../service/definition.js";
import { hostPlatform, managerFor, SERVICE_PLATFORMS, type FileChange, type ServiceManager, type ServicePlatform } from "../../service/manager.js";
import { ensurePrivateDir, readOptional, writePrivateFile } from "../../service/private-file.js";
import { problemOf, runOnTerminal, runTool } from "../../service/run-tool.js";
import { thisSpire } from "../../service/this-spire.js";

export interface ServiceOptions {
  platform?: string;
  data?: string;
  dryRun?: boolean;
}

export interface InstallOptions extends ServiceOptions {
  file?: string;
  format?: DefinitionsFormat;
  listen?: string;
  allowRemote?: boolean;
  grace: string;
  /** false with --no-start. */
  start: boolean;
  /** More `spire engine` options (after --), and the names of all its options. */
  more: string[];
  engineFlags: string[];
}

/** The options install sets itself: given again after --, the engine would see two. */
const OWN_OPTIONS = ["--data", "-f", "--file", "--format", "--listen", "--allow-remote", "--grace"];

export async function serviceInstallCommand(options: InstallOptions): Promise<number> {
  const manager = managerFor(platformOf(options.platform));
  const definition = await definitionOf(options);
  const refusal = manager.refuses(definition);
  if (refusal) throw new CliError(refusal, EXIT.usage, "Nothing was installed. Use paths without such characters (--data, -f, or node itself installed elsewhere).");
  const text = manager.render(definition);
  const installed = readOptional(manager.file);
  const change: FileChange = installed === undefined ? "new" : installed === text ? "unchanged" : "updated";
  const commands = options.start ? manager.startCommands(change) : [];

  if (options.dryRun) {
    print(`Would write ${manager.file} (${change === "new" ? "new" : change === "updated" ? "updated" : "already installed, unchanged"}):\n\n${text}`);
    print(commands.length > 0 ? `Would run:\n${commandLines(commands)}` : "Would run nothing (--no-start).");
    return EXIT.ok;
  }

  if (change === "unchanged") print(`Already installed, unchanged: ${manager.file}`);
  else {
    writePrivateFile(manager.file, text);
    print(change === "new" ? `Installed ${manager.file}` : `Updated ${manager.file}:\n${changedLines(installed!, text)}`);
  }
  for (const folder of manager.extraFolders()) ensurePrivateDir(folder);
  print(`  runs: ${displayed(definition.argv)}`);

  if (!options.start) {
    print(`Not started (--no-start). To start it now and at each login:\n${commandLines(manager.startCommands("new"))}`);
    return EXIT.ok;
  }
  const other = change === "updated" ? undefined : await engineBesideTheService(manager, definition);
  for (const command of commands) {
    const result = runTool(command);
    if (result.code === 0) continue;
    const problem = `${command[0]}: ${problemOf(result, command[0]!)}`;
    if (manager.unavailable(result)) {
      fail(`spire: the engine was not started: ${manager.title} cannot be asked here (${problem}).`);
      fail(`Where ${manager.title} runs your session, start it with:\n${commandLines(manager.startCommands("new"))}`);
      fail(`Without it (${manager.absentWhere}), run the engine another way, e.g. in tmux or from your shell's startup file:\n  ${displayed(definition.argv)}`);
    } else {
      fail(`spire: the engine was not started: ${displayed(command)} failed (${problem}).`);
      fail("The file is in place; see what went wrong with: spire service status   and: spire service logs");
    }
    return EXIT.runFailed;
  }
  print(
    change === "updated"
      ? "Restarted with the new settings (running tasks got the drain's --grace); it starts at each login."
      : "Started: the engine runs now and at each login.",
  );
  if (other) {
    fail(`spire: but an engine of this data folder already runs at ${other}, not as the service: the service's engine cannot start beside it.`);
    fail(`Stop that one (Ctrl-C where it runs), then: ${displayed(manager.restartCommand())}`);
  }
  if (manager.platform === "linux" && !lingers()) {
    print(`It stops when your last session ends. To keep it running without a login (a server): loginctl enable-linger ${userInfo().username}`);
  }
  print("Check it with: spire service status   Its log: spire service logs");
  return EXIT.ok;
}

export async function serviceUninstallCommand(options: ServiceOptions): Promise<number> {
  const manager = managerFor(platformOf(options.platform));
  const installed = readOptional(manager.file);
  if (installed === undefined) {
    print(`Not installed (no ${manager.file}): nothing to do.`);
    return EXIT.ok;
  }
  if (options.dryRun) {
    print(`Would run:\n${commandLines(manager.stopCommands())}\nWould remove ${manager.file}`);
    if (manager.afterRemoveCommands().length > 0) print(`Then would run:\n${commandLines(manager.afterRemoveCommands())}`);
    return EXIT.ok;
  }
  let reachable = true;
  let failed: string | undefined;
  for (const command of manager.stopCommands()) {
    const result = runTool(command);
    if (result.code === 0 || manager.nothingToDo(result)) continue;
    if (manager.unavailable(result)) {
      reachable = false;
      print(`${manager.title} cannot be asked here (${command[0]}: ${problemOf(result, command[0]!)}), so no engine runs under it.`);
      break;
    }
    failed = `${displayed(command)} failed (${command[0]}: ${problemOf(result, command[0]!)})`;
  }
  rmSync(manager.file, { force: true });
  if (!reachable) for (const leftover of manager.leftovers()) rmSync(leftover, { force: true });
  else for (const command of manager.afterRemoveCommands()) runTool(command);
  print(`Removed ${manager.file}: the engine no longer starts at login.`);
  const data = valueAfter(manager.argvOf(installed), "--data");
  if (data) print(`Its data (runs, logs, definitions) stays in ${data}.`);
  if (failed) {
    fail(`spire: ${failed}; an engine may still be running: spire service status says.`);
    return EXIT.runFailed;
  }
  return EXIT.ok;
}

export interface StatusOptions extends ServiceOptions {
  json?: boolean;
}

export async function serviceStatusCommand(options: StatusOptions): Promise<number> {
  const manager = managerFor(platformOf(options.platform));
  const installed = readOptional(manager.file);
  const argv = installed === undefined ? undefined : manager.argvOf(installed);
  const missing = neededFiles(argv).filter(({ path }) => !existsSync(path));
  const state = manager.status();
  // The service's own data folder when installed; else the one this command would use. "": the local engine only, whatever SPIRE_ENGINE says.
  const data = valueAfter(argv, "--data") ?? dataDir(options.data);
  const engine = await findEngine({ data, engine: "" });
  if (options.json) {
    const status = {
      platform: manager.platform,
      file: manager.file,
      installed: installed !== undefined,
      command: argv ?? null,
      missing: missing.map(({ path }) => path),
      enabled: state.enabled ?? null,
      running: state.running ?? null,
      state: state.state ?? null,
      manager_problem: state.problem ?? null,
      data,
      engine: { answers: engine !== undefined, url: engine?.url ?? null },
    };
    print(JSON.stringify(status, null, 2));
  } else {
    const yesNo = (value: boolean | undefined, yes: string, no: string) => (!state.reachable ? `unknown: ${manager.title} cannot be asked here (${state.problem})` : value ? yes : no);
    const rows: [string, string][] = [
      ["installed", installed === undefined ? "no (spire service install installs it)" : `yes: ${manager.file}`],
      ...(argv ? [["runs", displayed(argv)] as [string, string]] : []),
      ...missing.map(({ path, advice }): [string, string] => ["missing", `${path}: ${advice}`]),
      ["enabled", yesNo(state.enabled, "yes: starts at login", "no: does not start at login")],
      ["running", yesNo(state.running, `yes (${state.state})`, `no (${state.state})`)],
      ["engine", `${engine ? `answers at ${engine.url}` : "does not answer"} (data: ${data})`],
    ];
    print(rows.map(([label, value]) => `${label.padEnd(10)} ${value}`).join("\n"));
    if (installed !== undefined && !engine) print(`Its log: spire service logs   (in ${manager.logPlace})`);
  }
  return engine ? EXIT.ok : EXIT.unreachable;
}

export interface LogsOptions extends ServiceOptions {
  lines: string;
  follow?: boolean;
}

export async function serviceLogsCommand(options: LogsOptions): Promise<number> {
  const manager = managerFor(platformOf(options.platform));
  const lines = Number(options.lines);
  if (!/^\d+$/.test(options.lines) || !Number.isSafeInteger(lines)) throw new CliError(`--lines ${JSON.stringify(options.lines)} is not a whole number`, EXIT.usage, "For example: spire service logs -n 200");
  const command = manager.logsCommand(lines, options.follow === true);
  if (manager.platform === "macos" && !existsSync(manager.logPlace)) {
    throw new CliError(`no log yet: ${manager.logPlace} does not exist`, EXIT.runFailed, "The agent writes it once it starts: spire service status says whether it runs.");
  }
  const { code, missing } = await runOnTerminal(command);
  if (missing) throw new CliError(`${command[0]} is not on PATH, so the engine's log cannot be shown`, EXIT.runFailed);
  return code;
}

function platformOf(given: string | undefined): ServicePlatform {
  if (given !== undefined) {
    if ((SERVICE_PLATFORMS as string[]).includes(given)) return given as ServicePlatform;
    throw new CliError(`--platform ${JSON.stringify(given)} is not one of ${SERVICE_PLATFORMS.join(", ")}`, EXIT.usage);
  }
  const platform = hostPlatform();
  if (platform) return platform;
  throw new CliError(
    `spire service knows systemd (Linux) and launchd (macOS), not ${process.platform}`,
    EXIT.usage,
    "Start the engine with your system's own service manager: the command is spire engine (see spire engine --help).",
  );
}

/** What the service file says: this spire as `spire engine`, with absolute paths and checked options. */
async function definitionOf(options: InstallOptions): Promise<ServiceDefinition> {
  const graceMs = parseDurationMs(options.grace);
  if (graceMs === undefined) throw new CliError(`--grace ${JSON.stringify(options.grace)} is not a duration`, EXIT.usage, "For example: --grace 30s");
  const servesTls = options.more.some((word) => word === "--tls-cert" || word.startsWith("--tls-cert="));
  if (options.listen !== undefined) (await import("./engine.js")).parseListen(options.listen, options.allowRemote === true, servesTls);
  const file = options.file === undefined ? undefined : resolve(options.file);
  if (options.file !== undefined) {
    try {
      await loadFileOrFail(options.file, options.format);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      throw new CliError(error.message, EXIT.usage, "Nothing was installed: the engine would not start with it. Fix it (spire validate -f FILE) and run spire service install again.");
    }
  }
  const argv = engineArgv(thisSpire(), {
    data: dataDir(options.data),
    ...(file !== undefined ? { file } : {}),
    ...(options.format !== undefined ? { format: options.format } : {}),
    ...(options.listen !== undefined ? { listen: options.listen } : {}),
    ...(options.allowRemote ? { allowRemote: true } : {}),
    grace: options.grace,
    more: engineOptions(options.more, options.engineFlags),
  });
  return { argv, path: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", home: homedir(), stopTimeoutSeconds: stopTimeoutSeconds(graceMs) };
}

/**
 * The address of an engine of the service's data folder that runs outside
 * the service (started by hand in a terminal), if one does: the service's
 * engine would find its port or its supervisor taken and stop.
 */
async function engineBesideTheService(manager: ServiceManager, definition: ServiceDefinition): Promise<string | undefined> {
  const data = valueAfter(definition.argv, "--data")!;
  // "": the local engine of that folder, whatever SPIRE_ENGINE names.
  const engine = await findEngine({ data, engine: "" });
  return engine && !manager.status().running ? engine.url : undefined;
}

/** The words after --, checked against spire engine's options: a typo would only show when the service starts. */
function engineOptions(words: string[], engineFlags: string[]): string[] {
  if (words.length > 0 && !words[0]!.startsWith("-")) {
    throw new CliError(`unexpected argument ${quoteForDisplay(words[0]!)}`, EXIT.usage, "Options for the engine go after --, e.g.: spire service install -- --keep-days 30");
  }
  for (const word of words) {
    const name = word.split("=", 1)[0]!;
    if (!word.startsWith("-")) continue;
    if (OWN_OPTIONS.includes(name)) throw new CliError(`${name} is an option of spire service install itself`, EXIT.usage, `Give it before the --: spire service install ${name === "-f" || name === "--file" ? "-f FILE" : name} …`);
    if (!engineFlags.includes(name)) throw new CliError(`spire engine has no option ${name}`, EXIT.usage, "See spire engine --help for the options it takes.");
  }
  return words;
}

/** Does systemd keep this user's manager running without a login? (loginctl enable-linger leaves this file.) */
function lingers(): boolean {
  return existsSync(`/var/lib/systemd/linger/${userInfo().username}`);
}

/** The files a service's command line needs, and what to do when one is gone: node and the script (the paths before `engine`), and the -f file. */
function neededFiles(argv: string[] | undefined): { path: string; advice: string }[] {
  if (!argv) return [];
  const program = argv.slice(0, argv.indexOf("engine")).filter((word) => word.startsWith("/"));
  const file = valueAfter(argv, "-f");
  return [
    ...program.map((path) => ({ path, advice: "gone, so the engine cannot start: run spire service install again with the node and the clone you use now" })),
    ...(file === undefined ? [] : [{ path: file, advice: "gone, so the engine cannot start: put it back, or run spire service install -f FILE with another" }]),
  ];
}

function valueAfter(argv: string[] | undefined, option: string): string | undefined {
  const index = argv?.indexOf(option) ?? -1;
  return index < 0 ? undefined : argv![index + 1];
}

function displayed(argv: string[]): string {
  return argv.map(quoteForDisplay).join(" ");
}

function commandLines(commands: string[][]): string {
  return commands.map((command) => `  ${displayed(command)}`).join("\n");
}

/** The lines of a service file that an update changes, old ones with -, new ones with +. */
function changedLines(before: string, after: string): string {
  const [old, now] = [before.split("\n"), after.split("\n")];
  return [...old.filter((line) => !now.includes(line)).map((line) => `  - ${line}`), ...now.filter((line) => !old.includes(line)).map((line) => `  + ${line}`)].join("\n");
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function fail(text: string): void {
  process.stderr.write(`${text}\n`);
}
