/**
 * `spire service …` as declared to commander: install, uninstall, status
 * and logs, for the engine or (--worker) a worker. The work is in
 * commands/service.ts, loaded only when one of them runs.
 */
import { Command, Option } from "commander";
import { examples, formatOption, globals } from "./program-parts.js";

export function addServiceCommands(program: Command): void {
  const platformOption = () => new Option("--platform <platform>", "the service manager to use: linux (systemd) or macos (launchd) (default: this machine's)").choices(["linux", "macos"]);
  const workerOption = (more = "") => new Option("--worker", `the worker's service (spire-worker, running spire worker), not the engine's${more}`);
  const flagsOf = (name: string) =>
    program.commands.find((candidate) => candidate.name() === name)!.options.flatMap((option) => [option.long, option.short].filter((flag): flag is string => flag !== undefined));
  const service = program
    .command("service")
    .description("start the engine, or a worker (--worker), at login and keep it running: a systemd user unit on Linux, a launchd agent on macOS")
    .addHelpText(
      "after",
      examples([
        "spire service install -f ~/spire.yaml",
        "spire service status",
        "spire service logs -f",
        "spire service uninstall",
        'SPIRE_TOKEN="$(cat worker.token)" spire service install --worker --engine https://laptop.tail1234.ts.net:7431 --labels gpu',
        "spire service status --worker",
      ]) +
        `
The service runs the Spire that installs it (this node, this clone) as
spire engine, with this data folder (--data, SPIRE_DATA or the default) and
this PATH. Run spire service install again after moving either: it rewrites
the file when anything changed and restarts the engine, and says "unchanged"
otherwise. After updating the clone, restart the engine to run the new code:
systemctl --user restart spire.service (Linux) or launchctl kickstart -k
gui/$(id -u)/spire (macOS). Only your own config folders are written: on Linux
$XDG_CONFIG_HOME/systemd/user/spire.service (default ~/.config), on macOS
~/Library/LaunchAgents/spire.plist with logs in ~/Library/Logs/spire.

With --worker, each command is about a worker's service instead: spire
worker with the options given to install (--data is the worker's folder,
default the data folder's worker/), as spire-worker.service on Linux and the
agent spire-worker on macOS, beside the engine's if this machine has one.
Its token is never on a command line: it is in the environment, from
$XDG_CONFIG_HOME/spire/worker.env (Linux) or the agent's plist (macOS), both
mode 0600, and status and --dry-run show it masked.

Exit codes: install and uninstall exit 0 when done or when there was nothing
to do; 1 when the file was written (or removed) but systemd or launchd could
not do its part (a container, WSL without systemd): the message says what to
run instead; 2 for bad options. status exits 0 when the service is installed
and its engine answers (with --worker: its worker is registered with its
engine); 3 when not: the service is not installed, nothing answers, or what
answers runs outside the service (spire engine in a terminal: status says
where). logs exits as journalctl or tail does.
`,
    );
  const workerGroup = "Worker options (with --worker):";
  service
    .command("install")
    .description("write the service file, then enable and start the engine or, with --worker, a worker (systemctl --user enable --now, or launchctl bootstrap)")
    .argument("[more-options...]", "more spire engine options, after -- (spire engine --help lists them); with --worker, spire worker options")
    .addOption(workerOption("; --engine URL names the engine it serves, --data its own folder (default: the data folder's worker/)"))
    .option("-f, --file <file>", "definitions file the engine applies at each start (made absolute)")
    .addOption(formatOption())
    .option("--listen <host:port>", "address of the engine's API (default: 127.0.0.1:7431)")
    .option("--allow-remote", "allow a --listen address other machines can reach")
    .option("--grace <duration>", "on stop, how long running tasks get to finish (the service manager waits 30s longer)", "30s")
    .addOption(new Option("--token <token>", "with --worker: a token of scope worker (default: $SPIRE_TOKEN), kept in a private file, never on a command line").helpGroup(workerGroup))
    .addOption(new Option("--labels <a,b>", "with --worker: what this machine offers (spire worker --labels)").helpGroup(workerGroup))
    .addOption(new Option("--name <name>", "with --worker: its name among the engine's workers (default: the host name)").helpGroup(workerGroup))
    .addOption(new Option("--tasks <n>", "with --worker: attempts it runs at once at most (default: its cpus)").helpGroup(workerGroup))
    .addOption(new Option("--cpus <n>", "with --worker: cpus tasks' resources: may reserve there (default: the machine's cores)").helpGroup(workerGroup))
    .addOption(new Option("--memory <size>", "with --worker: memory tasks' resources: may reserve there (default: the machine's memory)").helpGroup(workerGroup))
    .addOption(new Option("--workdir <dir>", "with --worker: where tasks without an absolute cwd run (default: the current folder, made absolute)").helpGroup(workerGroup))
    .addOption(new Option("--allow-insecure", "with --worker: allow plain http to an engine on another machine (see spire worker --help)").helpGroup(workerGroup))
    .option("--no-start", "only write the file; start nothing")
    .option("--dry-run", "print the file and the commands it would run (a token masked); change nothing")
    .addOption(platformOption())
    .addHelpText(
      "after",
      examples([
        "spire service install -f ~/spire.yaml",
        "spire service install --listen 127.0.0.1:8080 --grace 2m",
        "spire service install -f ~/spire.yaml -- --keep-days 30 --parallelism 2",
        "spire service install --dry-run",
        "spire service install --platform macos --dry-run",
        'spire service install --worker --engine https://laptop.tail1234.ts.net:7431 --token "$(cat worker.token)" --labels gpu,linux',
        "SPIRE_TOKEN=$(cat worker.token) spire service install --worker --engine http://100.64.0.1:7431 --allow-insecure --name pi --tasks 2",
      ]),
    )
    .action(async (more, options, command: Command) => {
      const given = command.options.filter((option) => option.long && command.getOptionValueSource(option.attributeName()) === "cli").map((option) => option.long!);
      const engine = globals(command).engine;
      process.exit(
        await (
          await import("./commands/service.js")
        ).serviceInstallCommand({ ...options, ...globals(command), more, engineFlags: flagsOf("engine"), workerFlags: flagsOf("worker"), given: engine !== undefined ? [...given, "--engine"] : given }),
      );
    });
  service
    .command("uninstall")
    .description("stop the engine (it drains first) or the worker (--worker), keep it from starting at login, remove the service file (and a worker's token file); the data folder stays")
    .addOption(workerOption())
    .option("--dry-run", "print the commands it would run; change nothing")
    .addOption(platformOption())
    .addHelpText("after", examples(["spire service uninstall", "spire service uninstall --worker"]))
    .action(async (options, command) => process.exit(await (await import("./commands/service.js")).serviceUninstallCommand({ ...options, ...globals(command) })));
  service
    .command("status")
    .description("whether the service is installed, enabled and running, and whether the engine answers (with --worker: whether the worker is registered with its engine)")
    .addOption(workerOption())
    .option("--json", "print JSON")
    .addOption(platformOption())
    .addHelpText("after", examples(["spire service status", "spire service status --json", "spire service status --worker"]))
    .action(async (options, command) => process.exit(await (await import("./commands/service.js")).serviceStatusCommand({ ...options, ...globals(command) })));
  service
    .command("logs")
    .description("the engine's or (--worker) the worker's log: journalctl --user -u spire.service (spire-worker.service) on Linux, the log file on macOS")
    .addOption(workerOption())
    .option("-n, --lines <n>", "how many of the last lines", "100")
    .option("-f, --follow", "keep printing new lines (Ctrl-C stops)")
    .addOption(platformOption())
    .addHelpText("after", examples(["spire service logs", "spire service logs -n 500", "spire service logs -f", "spire service logs --worker -f"]))
    .action(async (options, command) => process.exit(await (await import("./commands/service.js")).serviceLogsCommand({ ...options, ...globals(command) })));

}
