/**
 * `spire service install | uninstall | status | logs`: the engine, or with
 * --worker a worker for an engine on another machine, started at login by
 * the user's own service manager (a systemd user unit on Linux, a launchd
 * agent on macOS), running the `spire` that installed it. Each has its own
 * unit or agent, so one machine can have both. Only the user's own config
 * folders are written; a machine whose service manager cannot be asked (a
 * container, WSL without systemd) gets the files and the commands to run
 * instead.
 */
import { existsSync, rmSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { resolve } from "node:path";
import { CliError, EXIT } from "../errors.js";
import { dataDir } from "../data-dir.js";
import { findEngine, localEngine } from "../connect.js";
import { loadFileOrFail } from "../context.js";
import { isDefinitionsUrl } from "../../definitions/remote/definitions-input.js";
import { checkOptionsBelong, passedOptions } from "../service-options.js";
import { changedLines, commandLines, displayed, fail, hideSecrets, print, valueAfter } from "../service-text.js";
import { parseDurationMs } from "../../definitions/units.js";
import type { DefinitionsFormat } from "../../definitions/compat/format.js";
import { engineArgv, stopTimeoutSeconds } from "../../service/engine-command.js";
import { masked, type ServiceDefinition } from "../../service/definition.js";
import { ENGINE_SERVICE, WORKER_SERVICE, type ServiceKind } from "../../service/kind.js";
import { hostPlatform, managerFor, SERVICE_PLATFORMS, type FileChange, type ServiceManager, type ServicePlatform } from "../../service/manager.js";
import { ensurePrivateDir, readOptional, writePrivateFile } from "../../service/private-file.js";
import { problemOf, runOnTerminal, runTool } from "../../service/run-tool.js";
import { thisSpire } from "../../service/this-spire.js";
import { heldToken, tokenNote, workerDefinitionOf, workerRows, workerState, workerStatusCode, type WorkerServiceOptions } from "./service-worker.js";

export interface ServiceOptions {
  platform?: string;
  data?: string;
  dryRun?: boolean;
  /** The worker's service rather than the engine's. */
  worker?: boolean;
}

export interface InstallOptions extends ServiceOptions, Omit<WorkerServiceOptions, "data"> {
  file?: string;
  format?: DefinitionsFormat;
  listen?: string;
  allowRemote?: boolean;
  grace: string;
  /** false with --no-start. */
  start: boolean;
  /** More `spire engine` (or with --worker, `spire worker`) options (after --), and the names of all the engine's options. */
  more: string[];
  engineFlags: string[];
  /** The options given on the command line (long names): those of the other service are refused. */
  given: string[];
}

const kindOf = (options: ServiceOptions): ServiceKind => (options.worker ? WORKER_SERVICE : ENGINE_SERVICE);

export async function serviceInstallCommand(options: InstallOptions): Promise<number> {
  const kind = kindOf(options);
  checkOptionsBelong(kind, options.given);
  const manager = managerFor(platformOf(options.platform, kind), kind);
  const worker = options.worker ? workerDefinitionOf(options) : undefined;
  const definition = worker?.definition ?? (await definitionOf(options));
  const refusal = manager.refuses(definition);
  if (refusal) throw new CliError(refusal, EXIT.usage, "Nothing was installed. Use paths without such characters (--data, -f, or node itself installed elsewhere).");
  const files = manager.files(definition);
  const installed = files.map((file) => readOptional(file.path));
  const change: FileChange = readOptional(manager.file) === undefined ? "new" : files.every((file, index) => installed[index] === file.text) ? "unchanged" : "updated";
  const commands = options.start ? manager.startCommands(change) : [];

  if (options.dryRun) {
    // What is printed holds no secret: each file as it would be written, its secrets masked.
    const shown = manager.files(masked(definition));
    files.forEach((file, index) => {
      const state = installed[index] === undefined ? "new" : installed[index] === file.text ? "already installed, unchanged" : "updated";
      const hidden = shown[index]!.text !== file.text ? `; ${Object.keys(definition.secrets ?? {}).join(", ")} shown as ***` : "";
      print(`Would write ${file.path} (${state}${hidden}):\n\n${shown[index]!.text}`);
    });
    print(commands.length > 0 ? `Would run:\n${commandLines(commands)}` : "Would run nothing (--no-start).");
    return EXIT.ok;
  }

  if (change === "unchanged") print(`Already installed, unchanged: ${manager.file}`);
  else writeFiles(manager, files, installed, Object.values(definition.secrets ?? {}));
  for (const folder of manager.extraFolders()) ensurePrivateDir(folder);
  print(`  runs: ${displayed(definition.argv)}`);
  if (worker) print(tokenNote(manager, worker).join("\n"));

  const check = `Check it with: spire service status${kind.option}   Its log: spire service logs${kind.option}`;
  if (!options.start) {
    print(`Not started (--no-start). To start it now and at each login:\n${commandLines(manager.startCommands("new"))}`);
    return EXIT.ok;
  }
  const other = change === "updated" || kind.what !== "engine" ? undefined : await engineBesideTheService(manager, definition);
  for (const command of commands) {
    const result = runTool(command);
    if (result.code === 0) continue;
    const problem = `${command[0]}: ${problemOf(result, command[0]!)}`;
    if (manager.unavailable(result)) {
      fail(`spire: the ${kind.what} was not started: ${manager.title} cannot be asked here (${problem}).`);
      fail(`Where ${manager.title} runs your session, start it with:\n${commandLines(manager.startCommands("new"))}`);
      const token = definition.secrets ? `, with SPIRE_TOKEN set to its token (it is in ${manager.secretsPlace})` : "";
      fail(`Without it (${manager.absentWhere}), run the ${kind.what} another way, e.g. in tmux or from your shell's startup file${token}:\n  ${displayed(definition.argv)}`);
    } else {
      fail(`spire: the ${kind.what} was not started: ${displayed(command)} failed (${problem}).`);
      fail(`The file is in place; see what went wrong with: spire service status${kind.option}   and: spire service logs${kind.option}`);
    }
    return EXIT.runFailed;
  }
  const restarted = kind.what === "engine" ? "running tasks got the drain's --grace" : "its tasks go on, and the new worker takes them up";
  print(change === "updated" ? `Restarted with the new settings (${restarted}); it starts at each login.` : `Started: the ${kind.what} runs now and at each login.`);
  if (other) {
    fail(`spire: but an engine of this data folder already runs at ${other}, not as the service: the service's engine cannot start beside it.`);
    fail(`Stop that one (Ctrl-C where it runs), then: ${displayed(manager.restartCommand())}`);
  }
  if (manager.platform === "linux" && !lingers()) {
    print(`It stops when your last session ends. To keep it running without a login (a server): loginctl enable-linger ${userInfo().username}`);
  }
  print(check);
  return EXIT.ok;
}

/**
 * Writes the files that changed (secrets first: a unit never names a file
 * that is not there yet) and says what changed, secrets hidden. A file that
 * cannot be written takes back the new ones written before it.
 */
function writeFiles(manager: ServiceManager, files: { path: string; text: string }[], installed: (string | undefined)[], secrets: string[]): void {
  const before = installed.map((text, index) => (text === undefined || files[index]!.path !== manager.secretsPlace ? [] : Object.values(manager.secretsIn(text))));
  const made: string[] = [];
  files.forEach((file, index) => {
    const old = installed[index];
    if (old === file.text) return;
    try {
      writePrivateFile(file.path, file.text);
    } catch (error) {
      for (const path of made) rmSync(path, { force: true });
      throw error;
    }
    if (old === undefined) made.push(file.path);
    if (old === undefined) return print(`Installed ${file.path}`);
    const hidden = [...secrets, ...before[index]!];
    const lines = changedLines(hideSecrets(old, hidden), hideSecrets(file.text, hidden));
    print(`Updated ${file.path}:\n${lines || "  (another token: not shown)"}`);
  });
}

export async function serviceUninstallCommand(options: ServiceOptions): Promise<number> {
  const kind = kindOf(options);
  const manager = managerFor(platformOf(options.platform, kind), kind);
  const installed = readOptional(manager.file);
  const present = manager.paths().filter((path) => existsSync(path));
  if (installed === undefined) {
    // A token file without its unit (removed by hand) holds a secret for nothing.
    if (!options.dryRun) for (const path of present) rmSync(path, { force: true });
    print(`Not installed (no ${manager.file}): nothing to do${present.length > 0 ? `, but ${options.dryRun ? "would remove" : "removed"} ${present.join(", ")}, which held its token` : ""}.`);
    return EXIT.ok;
  }
  if (options.dryRun) {
    print(`Would run:\n${commandLines(manager.stopCommands())}\n${present.map((path) => `Would remove ${path}`).join("\n")}`);
    if (manager.afterRemoveCommands().length > 0) print(`Then would run:\n${commandLines(manager.afterRemoveCommands())}`);
    return EXIT.ok;
  }
  const token = kind.what === "worker" ? heldToken(manager) : undefined;
  let reachable = true;
  let failed: string | undefined;
  for (const command of manager.stopCommands()) {
    const result = runTool(command);
    if (result.code === 0 || manager.nothingToDo(result)) continue;
    if (manager.unavailable(result)) {
      reachable = false;
      print(`${manager.title} cannot be asked here (${command[0]}: ${problemOf(result, command[0]!)}), so no ${kind.what} runs under it.`);
      break;
    }
    failed = `${displayed(command)} failed (${command[0]}: ${problemOf(result, command[0]!)})`;
  }
  for (const path of present) rmSync(path, { force: true });
  if (!reachable) for (const leftover of manager.leftovers()) rmSync(leftover, { force: true });
  else for (const command of manager.afterRemoveCommands()) runTool(command);
  print(`Removed ${manager.file}: the ${kind.what} no longer starts at login.`);
  for (const path of present.filter((path) => path !== manager.file)) print(`Removed ${path}, which held its token.`);
  const data = valueAfter(manager.argvOf(installed), "--data");
  if (data) print(kind.what === "engine" ? `Its data (runs, logs, definitions) stays in ${data}.` : `Its folder (its task supervisor, logs not yet sent) stays in ${data}.`);
  if (token?.claims?.id) print(`Its token stays valid on the engine: if this worker is not coming back, revoke it there: spire token revoke ${token.claims.id}`);
  if (failed) {
    fail(`spire: ${failed}; a ${kind.what} may still be running: spire service status${kind.option} says.`);
    return EXIT.runFailed;
  }
  return EXIT.ok;
}

export interface StatusOptions extends ServiceOptions {
  json?: boolean;
}

export async function serviceStatusCommand(options: StatusOptions): Promise<number> {
  const kind = kindOf(options);
  const manager = managerFor(platformOf(options.platform, kind), kind);
  const installed = readOptional(manager.file);
  const argv = installed === undefined ? undefined : manager.argvOf(installed);
  const missing = neededFiles(kind, argv).filter(({ path }) => !existsSync(path));
  const state = manager.status();
  const own = kind.what === "engine" ? await engineStatus(argv, options) : workerStatus(manager, argv, options, installed !== undefined);
  // What answers is not the service's when there is none, or when its manager says it is not running: one started by hand (spire engine, spire worker).
  const outside = own.code === EXIT.ok && (installed === undefined || (state.reachable && state.running === false)) ? own.running : undefined;
  // Not installed is "not there" whatever answers, as an engine that does not answer is.
  const code = installed === undefined || outside !== undefined ? EXIT.unreachable : own.code;
  if (options.json) {
    const status = {
      kind: kind.what,
      platform: manager.platform,
      file: manager.file,
      installed: installed !== undefined,
      command: argv ?? null,
      missing: missing.map(({ path }) => path),
      enabled: state.enabled ?? null,
      running: state.running ?? null,
      state: state.state ?? null,
      manager_problem: state.problem ?? null,
      ...own.json,
      outside_service: outside === undefined ? null : { pid: outside.pid ?? null },
    };
    print(JSON.stringify(status, null, 2));
  } else {
    const yesNo = (value: boolean | undefined, yes: string, no: string) => (!state.reachable ? `unknown: ${manager.title} cannot be asked here (${state.problem})` : value ? yes : no);
    const rows: [string, string][] = [
      ["installed", installed === undefined ? `no (spire service install${kind.option} installs it)` : `yes: ${manager.file}`],
      ...(argv ? [["runs", displayed(argv)] as [string, string]] : []),
      ...missing.map(({ path, advice }): [string, string] => ["missing", `${path}: ${advice}`]),
      ["enabled", yesNo(state.enabled, "yes: starts at login", "no: does not start at login")],
      ["running", yesNo(state.running, `yes (${state.state})`, `no (${state.state})`)],
      ...own.rows,
    ];
    print(rows.map(([label, value]) => `${label.padEnd(10)} ${value}`).join("\n"));
    if (installed !== undefined && own.code !== EXIT.ok) print(`Its log: spire service logs${kind.option}   (in ${manager.logPlace})`);
    if (outside !== undefined) {
      const which = `the ${kind.what} that ${kind.what === "engine" ? "answers" : "is registered"} runs outside it, in the foreground (${outside.where})`;
      print(
        installed === undefined
          ? `The service is not installed: ${which}, and does not start at login. To have one that does, stop that one (Ctrl-C where it runs), then: spire service install${kind.option}`
          : `The service is not running: ${which}, and the service's ${kind.what} cannot start beside it. Stop that one (Ctrl-C where it runs), then: ${displayed(manager.restartCommand())}`,
      );
    }
    if (installed === undefined && kind.what === "engine" && existsSync(managerFor(manager.platform, WORKER_SERVICE).file)) print("This machine has a worker's service: spire service status --worker");
  }
  return code;
}

interface OwnStatus {
  rows: [string, string][];
  json: Record<string, unknown>;
  code: number;
  /** The engine that answers (the worker that is registered): its process, and where it is, in words. */
  running?: { pid?: number; where: string };
}

/** Whether the engine of the service's data folder answers: the service's own when installed, else the one this command would use. */
async function engineStatus(argv: string[] | undefined, options: StatusOptions): Promise<OwnStatus> {
  const data = valueAfter(argv, "--data") ?? dataDir(options.data);
  // "": the local engine only, whatever SPIRE_ENGINE says.
  const engine = await findEngine({ data, engine: "" });
  const pid = engine === undefined ? undefined : localEngine(data)?.pid;
  return {
    rows: [["engine", `${engine ? `answers at ${engine.url}${pid === undefined ? "" : `, pid ${pid}`}` : "does not answer"} (data: ${data})`]],
    json: { data, engine: { answers: engine !== undefined, url: engine?.url ?? null, pid: pid ?? null } },
    code: engine ? EXIT.ok : EXIT.unreachable,
    ...(engine ? { running: { ...(pid === undefined ? {} : { pid }), where: `${pid === undefined ? "" : `pid ${pid}, `}at ${engine.url}, data folder ${data}` } } : {}),
  };
}

/** Whether the worker is registered with its engine, and which token it holds (never the token itself). */
function workerStatus(manager: ServiceManager, argv: string[] | undefined, options: StatusOptions, installed: boolean): OwnStatus {
  const token = heldToken(manager);
  const state = workerState(argv, options.data);
  const record = state.record;
  return {
    rows: workerRows(token, state, installed),
    json: {
      data: state.data,
      token: installed ? { file: token.place, present: token.present, mode: token.mode?.toString(8) ?? null, name: token.claims?.name ?? null, scope: token.claims?.scope ?? null, id: token.claims?.id ?? null } : null,
      worker: {
        registered: state.registered,
        runs: state.runs,
        state: record?.state ?? null,
        engine: record?.engine ?? null,
        name: record?.name ?? null,
        since: record?.since ?? null,
        message: record?.message ?? null,
      },
    },
    code: workerStatusCode(state),
    ...(state.registered && record ? { running: { pid: record.pid, where: `pid ${record.pid}, registered with ${record.engine} as ${record.name}, data folder ${state.data}` } } : {}),
  };
}

export interface LogsOptions extends ServiceOptions {
  lines: string;
  follow?: boolean;
}

export async function serviceLogsCommand(options: LogsOptions): Promise<number> {
  const kind = kindOf(options);
  const manager = managerFor(platformOf(options.platform, kind), kind);
  const lines = Number(options.lines);
  if (!/^\d+$/.test(options.lines) || !Number.isSafeInteger(lines)) throw new CliError(`--lines ${JSON.stringify(options.lines)} is not a whole number`, EXIT.usage, `For example: spire service logs -n 200${kind.option}`);
  const command = manager.logsCommand(lines, options.follow === true);
  if (manager.platform === "macos" && !existsSync(manager.logPlace)) {
    throw new CliError(`no log yet: ${manager.logPlace} does not exist`, EXIT.runFailed, `The agent writes it once it starts: spire service status${kind.option} says whether it runs.`);
  }
  const { code, missing } = await runOnTerminal(command);
  if (missing) throw new CliError(`${command[0]} is not on PATH, so the ${kind.what}'s log cannot be shown`, EXIT.runFailed);
  return code;
}

function platformOf(given: string | undefined, kind: ServiceKind): ServicePlatform {
  if (given !== undefined) {
    if ((SERVICE_PLATFORMS as string[]).includes(given)) return given as ServicePlatform;
    throw new CliError(`--platform ${JSON.stringify(given)} is not one of ${SERVICE_PLATFORMS.join(", ")}`, EXIT.usage);
  }
  const platform = hostPlatform();
  if (platform) return platform;
  throw new CliError(
    `spire service knows systemd (Linux) and launchd (macOS), not ${process.platform}`,
    EXIT.usage,
    `Start the ${kind.what} with your system's own service manager: the command is spire ${kind.what} (see spire ${kind.what} --help).`,
  );
}

/** What the engine's service file says: this spire as `spire engine`, with absolute paths and checked options. */
async function definitionOf(options: InstallOptions): Promise<ServiceDefinition> {
  const graceMs = parseDurationMs(options.grace);
  if (graceMs === undefined) throw new CliError(`--grace ${JSON.stringify(options.grace)} is not a duration`, EXIT.usage, "For example: --grace 30s");
  const servesTls = options.more.some((word) => word === "--tls-cert" || word.startsWith("--tls-cert="));
  if (options.listen !== undefined) (await import("./engine.js")).parseListen(options.listen, options.allowRemote === true, servesTls);
  if (options.file === "-") throw new CliError("-f - (stdin) cannot be installed: a service has no stdin to read", EXIT.usage, "Save the definitions in a file and pass it: spire service install -f FILE");
  // The service's engine fetches it at each start, where nobody would see what a plain http answer was changed into.
  if (/^http:\/\//i.test(options.file ?? "")) throw new CliError(`-f ${options.file!.replace(/[?#].*$/s, "")}: a service fetches its definitions only over https`, EXIT.usage, "Serve them over https://, or save them in a file and pass it: spire service install -f FILE");
  // A URL stays one: the engine fetches it at each start.
  const file = options.file === undefined ? undefined : isDefinitionsUrl(options.file) ? options.file : resolve(options.file);
  if (options.file !== undefined) {
    try {
      await loadFileOrFail(options.file, options.format);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      throw new CliError(error.message, EXIT.usage, "Nothing was installed: the engine would not start with it. Fix it (spire validate -f FILE) and run spire service install again.");
    }
  }
  const program = thisSpire();
  const argv = engineArgv(program, {
    data: dataDir(options.data),
    ...(file !== undefined ? { file } : {}),
    ...(options.format !== undefined ? { format: options.format } : {}),
    ...(options.listen !== undefined ? { listen: options.listen } : {}),
    ...(options.allowRemote ? { allowRemote: true } : {}),
    grace: options.grace,
    more: passedOptions(ENGINE_SERVICE, options.more, options.engineFlags),
  });
  return { argv, path: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", environment: program.environment, home: homedir(), stopTimeoutSeconds: stopTimeoutSeconds(graceMs) };
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

/** Does systemd keep this user's manager running without a login? (loginctl enable-linger leaves this file.) */
function lingers(): boolean {
  return existsSync(`/var/lib/systemd/linger/${userInfo().username}`);
}

/** The files a service's command line needs, and what to do when one is gone: node and the script (the paths before `engine` or `worker`), and the -f file. */
function neededFiles(kind: ServiceKind, argv: string[] | undefined): { path: string; advice: string }[] {
  if (!argv) return [];
  const program = argv.slice(0, argv.indexOf(kind.what)).filter((word) => word.startsWith("/"));
  const file = kind.what === "engine" ? valueAfter(argv, "-f") : undefined;
  return [
    ...program.map((path) => ({ path, advice: `gone, so the ${kind.what} cannot start: run spire service install${kind.option} again with the node and the clone you use now` })),
    ...(file === undefined ? [] : [{ path: file, advice: "gone, so the engine cannot start: put it back, or run spire service install -f FILE with another" }]),
  ];
}
