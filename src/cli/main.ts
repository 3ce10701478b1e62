/**
 * The `spire` command line. Each command's module is loaded only when that
 * command runs, so `spire --help` and light commands start fast.
 */
import { Argument, Command, CommanderError, Option } from "commander";
import { VERSION } from "../version.js";
import { SCOPES } from "../engine/service.js";
import { cliErrorOf, EXIT } from "./errors.js";
import { showTimesInUtc } from "./render/format.js";
import { usePrivateUmask } from "../files/private.js";
import { damageOf, DatabaseDamagedError, DiskFullError, isDatabaseDamaged, isDiskFull } from "../store/errors.js";
import { databaseFile, dataDir } from "./data-dir.js";
import { maxTasksOption } from "./max-tasks-option.js";
import { SHELLS } from "./completion/shells.js";
import { DEFAULT_TEMPLATE, INIT_TEMPLATES } from "./init-templates.js";
import { ALLOW_HTTP_FILE, DEFINITIONS_FILE, examples, formatOption, globals } from "./program-parts.js";
import { addServiceCommands } from "./service-program.js";
import { isHelpOfHelp, unknownCommand } from "./unknown-command.js";
import { showPathsFrom } from "../definitions/errors.js";
import { refuseRepeatedFiles } from "./repeated-files.js";

/** Help of -f where a definitions file is read (validate, apply): which one is read without it. */
const DEFINITIONS_FILE_HELP = `${DEFINITIONS_FILE} (default: spire.yaml, else spire.config.ts, .mts, .mjs or .js)`;

export function buildProgram(): Command {
  const program = new Command("spire")
    .description("A personal scheduler and pipeline runner: cron, grown up.")
    .version(VERSION, "-V, --version")
    .option("--data <dir>", "data folder (default: $SPIRE_DATA, or $XDG_DATA_HOME/spire, or ~/.local/share/spire)")
    .option("--engine <url>", "the engine to talk to (default: $SPIRE_ENGINE, or the local engine's address file)")
    .option("--utc", "show times in UTC (default: this machine's zone, with its offset); --json always gives ISO 8601")
    .showHelpAfterError("(run with --help for usage)")
    // Commander's own errors (a missing argument, an unknown option) start as every Spire error does.
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, "spire: ")) })
    .addHelpText(
      "after",
      `
Without --engine or SPIRE_ENGINE, commands talk to the engine of the data
folder when it runs (spire engine), and otherwise work on the data folder
themselves: spire run runs the pipeline in this process and records it there.

Exit codes:
  0    done; a run succeeded
  1    a run failed or was canceled; or something went wrong on Spire's side
  2    bad usage, invalid definitions, or a request the engine refused
       (no such pipeline or run, bad arguments, queue full)
  3    the engine cannot be reached, or it refused the token; for spire
       service status, also: the service is not installed, or what answers
       is not the service
  130  interrupted (Ctrl-C): the run was canceled and its processes are gone
`,
    )
    .exitOverride();
  program.hook("preAction", (_program, action) => {
    if ((action.optsWithGlobals() as { utc?: boolean }).utc) showTimesInUtc(true);
    // A file's errors name it as typed here; an engine's go to its log and its clients, whole.
    if (!["engine", "worker", "mcp"].includes(action.name())) showPathsFrom(process.cwd());
  });

  program
    .command("validate")
    .description("check a definitions file without running or applying it")
    .option("-f, --file <file>", `${DEFINITIONS_FILE_HELP}; or a folder: every prunner pipelines.yml / pipelines.yaml in it and below it`)
    .option("--allow-http-file", ALLOW_HTTP_FILE)
    .option("--json", "print the errors as JSON")
    .addOption(formatOption())
    .addOption(maxTasksOption("as an engine started with the same option would check it"))
    .addHelpText("after", examples(["spire validate -f examples/hello.yaml", "spire validate -f pipelines.yml   # prunner's, detected", "spire validate -f .   # every pipelines.yml below, as prunner reads them", "cat spire.yaml | spire validate -f -"]))
    .action(async (options) => (await import("./commands/validate.js")).validateCommand(options));

  program
    .command("run")
    .description("run a pipeline, or a command after -- (an ad hoc job): on the engine when one is running, else in this process, and record it")
    .argument("[pipeline]", "the pipeline to run (NAME or NS/NAME; optional when the file has only one)")
    .allowExcessArguments()
    .option("-f, --file <file>", `${DEFINITIONS_FILE} (default when no engine is running: spire.yaml, else spire.config.ts, .mts, .mjs or .js)`)
    .option("--allow-http-file", ALLOW_HTTP_FILE)
    .option("-a, --arg <key=value>", "a run argument (repeatable)", collect, [])
    .option("--json", "print only the final run object as JSON")
    .option("--detach", "print only the run id and return (engine only)")
    .option("--partition <key>", "the run's queue partition (see queue.partition_limit)")
    .option("--seed <n>", "SPIRE_SEED of the run's tasks, to replay the random numbers of an earlier run (spire show prints its seed; default: chosen at random)")
    .addOption(formatOption())
    .option("--parallelism <n>", "tasks at once, for a run in this process (default: the number of CPUs)")
    .option("--cpus <n>", "cpus tasks' resources may reserve at once, for a run in this process (default: this machine's cores)")
    .option("--memory <size>", "memory tasks' resources may reserve at once, for a run in this process (default: this machine's memory)")
    .addOption(maxTasksOption("checked with -f here (an engine checks with its own)"))
    .option("--when <spec>", 'with -- COMMAND: once (default), a cron, @daily, "every 5s" or "at TIME"; a schedule needs the engine')
    .option("--ns <namespace>", "with -- COMMAND: its namespace (default: a digest of host, user and this folder); else the namespace of PIPELINE")
    .addHelpText(
      "after",
      examples([
        "spire run -f examples/hello.yaml",
        "spire run backup --arg level=best",
        "spire run backup --detach",
        "spire run -f ci.yaml --json > run.json",
        "spire run -- ./backup.sh --full",
        'spire run --when "every 5m" -- curl -fsS https://example.org/health',
        `spire run --when @daily -- 'python:import shutil; print(shutil.disk_usage("/").free)'`,
        "spire run -- sh -c 'du -sh ~ | tee -a sizes.txt'",
      ]) +
        `
A command after -- runs without a shell: each word is one argument, as given
(cmd:PROGRAM says so explicitly; python:CODE and node:CODE run inline code,
the other words being its arguments). For pipes and globs, ask for a shell:
spire run -- sh -c '…'. The command becomes a pipeline, listed by spire ls
and removed with spire rm; the same command with the same --when from the
same folder is the same pipeline, so running it again reuses it and its
history.
`,
    )
    .action(async (pipeline, options, command) =>
      process.exit(await (await import("./commands/run.js")).runCommand(pipeline, { ...options, ...globals(command), command: wordsAfterDashes(command), operands: command.args })),
    );

  program
    .command("watch")
    .description("watch(1) as a job: run a command every SECS and show its latest output full-screen; each run is kept in the history")
    .argument("<command...>", "the command (after --), run without a shell; python:CODE, node:CODE and cmd: as for spire run")
    .option("-n, --interval <secs>", "seconds between runs (from the end of one to the start of the next)", "2")
    .option("-p, --precise", "a fixed rate: SECS from the start of one run to the start of the next")
    .option("--ns <namespace>", "its namespace (default: a digest of host, user and this folder)")
    .addHelpText(
      "after",
      examples(["spire watch -- df -h /", "spire watch -n 0.5 --precise -- cat /proc/loadavg", "spire watch -n 10 -- sh -c 'ls -l | wc -l'"]) +
        `
Ctrl-C stops it: the pipeline is paused (spire ls shows it), its runs stay
(spire runs NAME), and the next spire watch of the same command resumes it.
Killed outright (kill -9), it stops renewing its lease, and the engine does
the same once the lease lapses (spire engine --watch-lease, default 30s).
One watch of a command in a folder at a time: a second is refused while the
first renews its lease (--ns gives it a pipeline of its own).
`,
    )
    .action(async (words, options, command) => process.exit(await (await import("./commands/watch.js")).watchCommand(words, { ...options, ...globals(command) })));

  program
    .command("worker")
    .description("run tasks for an engine on another machine: those whose runs_on labels this worker has (--engine URL: https, or http to this machine, or http with --allow-insecure; --data: where its supervisor, logs and outputs live, default the data folder's worker/)")
    .option("--token <token>", "a token of scope worker (default: $SPIRE_TOKEN); make one with: spire token create --scope worker")
    .option("--labels <a,b>", "what this machine offers; tasks whose runs_on labels it all has may run here", "")
    .option("--name <name>", "its name among the engine's workers (default: the host name)")
    .option("--tasks <n>", "attempts it runs at once at most (default: its cpus)")
    .option("--cpus <n>", "cpus tasks' resources: may reserve here (default: this machine's cores)")
    .option("--memory <size>", "memory tasks' resources: may reserve here (default: this machine's memory)")
    .option("--workdir <dir>", "where tasks without an absolute cwd run (default: the current folder)")
    .option("--allow-insecure", "allow plain http to an engine on another machine: only on a network that is private and encrypted already (Tailscale, WireGuard, an SSH tunnel)")
    .addHelpText(
      "after",
      examples(["spire worker --engine https://laptop.tail1234.ts.net:7431 --token $T --labels gpu,linux", "spire worker --engine http://100.64.0.1:7431 --allow-insecure --labels pi --tasks 2"]) +
        `
To start it at boot or login and again when it dies, install it as a
service with the same options: spire service install --worker --engine URL …
(its token goes in a private file, never on a command line).
`,
    )
    .action(async (options, command) => (await import("./commands/worker.js")).workerCommand({ ...options, ...globals(command) }));

  program
    .command("engine")
    .description("run the engine in the foreground: HTTP API, scheduler, executor")
    .option("-f, --file <file>", `${DEFINITIONS_FILE}, applied at start (a URL is fetched at each start only); or a folder: every prunner pipelines.yml / pipelines.yaml in it and below it, each file its own namespace`)
    .option("--allow-http-file", ALLOW_HTTP_FILE)
    .addOption(formatOption())
    .option("--listen <host:port>", "address of the API (loopback unless --tls-cert or --allow-remote)", "127.0.0.1:7431")
    .option("--allow-remote", "allow a --listen address other machines can reach over plain http: only with a TLS proxy in front (with --tls-cert it is not needed)")
    .option("--tls-cert <file>", "serve https with this certificate (PEM, its chain after it); with --tls-key, the engine may listen where other machines reach it")
    .option("--prunner <host:port>", "also serve prunner's API there (prunner's routes and JWTs, for prunner-ui and Flowpack.Prunner), e.g. 127.0.0.1:9009; loopback unless --allow-remote")
    .option("--tls-key <file>", "the certificate's private key (PEM, not encrypted, not readable by other users)")
    .option("--allow-host <name>", "another name clients may reach the API by, as NAME or NAME:PORT: an SSH tunnel's local port, a reverse proxy's or a Tailscale name (repeatable)", collect, [])
    .option("--grace <duration>", "on SIGTERM, how long running tasks get to finish", "30s")
    .option("--watch-lease <duration>", "how long a spire watch's pipeline goes on firing after its watcher stopped renewing its lease (killed)", "30s")
    .option("--worker-lease <duration>", "how long a worker may be silent before it is lost: its tasks are then interrupted (and retried elsewhere, as their retries say)", "30s")
    .option("--store <url>", "keep records in PostgreSQL, shared with other engines (postgres://USER@HOST/DB, ?schema=NAME optional; the password in $SPIRE_STORE, PGPASSWORD or ~/.pgpass, not here); default: SQLite in the data folder, or $SPIRE_STORE")
    .option("--leader-lease <duration>", "with --store: how long the engine that leads the scheduling holds the lead without renewing it; another engine takes over about this long after it dies (a clean stop hands over at once)", "10s")
    .option("--rescue-after <duration>", "with --store: how long another engine sharing the store may be silent (no heartbeat) before the leading engine takes its unfinished runs over; an engine that was only slow finds its late results refused and stops those tasks", "30s")
    .option("--allow-insecure-store", "allow PostgreSQL on another machine without TLS (sslmode): only on a network that is private and encrypted already")
    .option("--parallelism <n>", "tasks at once (default: the number of CPUs)")
    .option("--cpus <n>", "cpus tasks' resources: may reserve at once (default: this machine's cores)")
    .option("--memory <size>", "memory tasks' resources: may reserve at once (default: this machine's memory)")
    .option("--keep-runs <n>", "finished runs kept per pipeline without its own retention.keep (0: no limit)", "1000")
    .option("--keep-days <days>", "days a finished run is kept, for pipelines without retention.days (0: no limit)", "90")
    .option("--artifact-limit <size>", "the most artifacts one run may keep", "1GiB")
    .addOption(maxTasksOption("for every definition applied to this engine"))
    .addHelpText("after", examples(["spire engine -f examples/spire.yaml", "spire engine --listen 127.0.0.1:8080 --data /srv/spire", "spire engine --keep-days 30 --keep-runs 0", "spire engine --allow-host localhost:8080 --allow-host laptop.tail1234.ts.net", "spire engine --listen 0.0.0.0:7431 --tls-cert cert.pem --tls-key key.pem", "spire engine -f . --prunner 127.0.0.1:9009   # prunner's folder and API"]))
    .action(async (options, command) => (await import("./commands/engine.js")).engineCommand({ ...options, ...globals(command) }));

  program
    .command("apply")
    .description("validate a definitions file and upsert it into the engine; prints what changed")
    .option("-f, --file <file>", DEFINITIONS_FILE_HELP)
    .option("--allow-http-file", ALLOW_HTTP_FILE)
    .option("--ns <namespace>", "namespace (default: the file's, or a digest of host, user and path)")
    .option("--prune", "remove the namespace's pipelines that the file no longer has")
    .option("--dry-run", "say what would change, change nothing")
    .option("--json", "print the change set as JSON")
    .addOption(formatOption())
    .addHelpText("after", examples(["spire apply -f spire.yaml", "spire apply -f spire.yaml --prune --dry-run", "spire apply -f jobs.yaml --format gator", "spire apply -f https://example.com/team/spire.yaml"]))
    .action(async (options, command) => (await import("./commands/apply.js")).applyCommand({ ...options, ...globals(command) }));

  program
    .command("convert")
    .description("print a prunner pipelines.yml, a Gator job file or a spire.config.ts as the equivalent spire.yaml")
    .argument("<file>", "the file to convert")
    .addOption(formatOption())
    .addHelpText(
      "after",
      examples(["spire convert pipelines.yml > spire.yaml", "spire convert jobs.yaml --format gator"]) +
        `
All three formats also work as they are, wherever a file goes (validate, run
-f, apply, engine -f): convert is for moving to Spire's own format. Keep the
result beside the original: relative paths are read from its folder.
`,
    )
    .action(async (file, options) => (await import("./commands/convert.js")).convertCommand(file, options));

  program
    .command("init")
    .description("write a commented spire.yaml to start from (never over an existing file)")
    .addOption(new Option("-t, --template <name>", "what it starts from (--list says what each is)").choices(INIT_TEMPLATES.map((template) => template.name)).default(DEFAULT_TEMPLATE))
    .option("-f, --file <file>", "the file to write", "spire.yaml")
    .option("--list", "list the templates, one line each, and write nothing")
    .addHelpText(
      "after",
      examples(["spire init", "spire init --template backup", "spire init -t monitor -f monitor.yaml", "spire init --list"]) +
        `
Templates:
${INIT_TEMPLATES.map((template) => `  ${template.name.padEnd(8)} ${template.summary}`).join("\n")}

Every key is explained in the file, with the alternatives commented out.
Its first line points editors that read it (the YAML language server) at
this installation's schema, so they complete and check the file as you type.
`,
    )
    .action(async (options) => (await import("./commands/init.js")).initCommand(options));

  const importer = program
    .command("import")
    .description("turn another scheduler's jobs into a spire.yaml")
    .addHelpText("after", examples(["spire import crontab > spire.yaml", "spire import crontab my.crontab -o spire.yaml", "spire import crontab /etc/crontab --system"]));
  importer
    .command("crontab")
    .description("a crontab as a spire.yaml: each job a pipeline with its cron trigger, env and command; printed, or written with -o")
    .argument("[file]", "the crontab file; - for standard input (default: yours, from crontab -l)")
    .option("-o, --output <file>", "write a new file instead of printing (never over an existing one)")
    .option("--system", "each job has a user field after its schedule, as in /etc/crontab and /etc/cron.d (default: told from the file)")
    .option("--no-system", "the file is a user's crontab, whatever it looks like")
    .addHelpText(
      "after",
      examples(["spire import crontab > spire.yaml", "spire import crontab my.crontab -o spire.yaml", "crontab -l | spire import crontab - -o spire.yaml", "spire import crontab /etc/crontab --system -o system.yaml"]) +
        `
Each job becomes a pipeline named after what it runs (backup-sh), with a
cron: trigger at the same times (CRON_TZ= gives its timezone:) and one task
that runs the command as cron did: sh -c (SHELL= picks another), in your
home folder, with the crontab's settings as env:. What has no equal is kept
as a comment and said on stderr: @reboot (a pipeline without a trigger), a
%'s standard input (a here-document), MAILTO (a commented-out notify:),
switched-off jobs (commented-out pipelines).
`,
    )
    .action(async (file, options) => (await import("./commands/import.js")).importCrontabCommand(file, options));

  program
    .command("ls")
    .description("pipelines, with their last result and next fire time")
    .option("--ns <namespace>", "only this namespace")
    .option("--json", "print JSON")
    .addHelpText("after", examples(["spire ls", "spire ls --ns home --json"]))
    .action(async (options, command) => (await import("./commands/listing.js")).lsCommand({ ...options, ...globals(command) }));

  program
    .command("ns")
    .description("namespaces, with where their definitions came from")
    .option("--json", "print JSON")
    .addHelpText("after", examples(["spire ns"]))
    .action(async (options, command) => (await import("./commands/listing.js")).nsCommand({ ...options, ...globals(command) }));

  program
    .command("workers")
    .description("the machines that run tasks: this engine's own, and the workers connected to it, with labels, state and load")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      examples(["spire workers", "spire workers --json | jq '.[] | select(.state != \"connected\") | .name'"]) +
        `
The engine's own machine is a worker too, named by its host name, with the
labels local and its host name: it runs every task without runs_on. TASKS,
CPUS and MEMORY are in use / capacity (cpus and memory as tasks reserve them
with resources:).
`,
    )
    .action(async (options, command) => (await import("./commands/workers.js")).workersCommand({ ...options, ...globals(command) }));

  program
    .command("cancel")
    .description("cancel a run (its tasks get SIGTERM, then SIGKILL after their grace)")
    .argument("<run>", "run id, a unique prefix, or `last`")
    .argument("[pipeline]", "with last: the newest run of this pipeline")
    .option("--json", "print the run object")
    .addHelpText("after", examples(["spire cancel last", "spire cancel last backup", "spire cancel 01jbx4k2"]))
    .action(async (run, pipeline, options, command) => (await import("./commands/control.js")).cancelCommand(run, pipeline, { ...options, ...globals(command) }));

  program
    .command("retry")
    .description("re-run the tasks of a run that failed (or TASK and all below it), keeping the ones that passed")
    .argument("<run>", "run id, a unique prefix, or `last`")
    .argument("[pipeline]", "with last: the newest run of this pipeline")
    .option("--from <task>", "re-run this task (or group) and everything that depends on it")
    .option("--detach", "print only the new run's id")
    .option("--json", "print only the final run object as JSON")
    .addHelpText("after", examples(["spire retry last", "spire retry last backup", "spire retry 01jbx4k2 --from compress"]))
    .action(async (run, pipeline, options, command) => process.exit(await (await import("./commands/control.js")).retryCommand(run, pipeline, { ...options, ...globals(command) })));

  for (const [action, description] of [
    ["pause", "stop a pipeline's triggers (manual runs still work)"],
    ["resume", "start a paused pipeline's triggers again"],
    ["rm", "remove a pipeline: its runs waiting to start are canceled, those running end as they will, its history stays"],
  ] as const) {
    const sub = program
      .command(action)
      .description(description)
      .argument("<pipeline>", "NAME or NS/NAME")
      .option("--ns <namespace>", "the namespace, when NAME is in several");
    if (action === "pause") sub.option("--reason <text>", "why: shown with the pause (spire ls, the web UI) until it is resumed");
    sub
      .addHelpText("after", examples([`spire ${action} backup`, action === "pause" ? `spire pause home/backup --reason "the NAS is away"` : `spire ${action} home/backup`]))
      .action(async (pipeline, options, command) => (await import("./commands/control.js")).pipelineCommand(action, pipeline, { ...options, ...globals(command) }));
  }

  program
    .command("next")
    .description("a schedule in plain words and its next fire times, with DST changes marked")
    .argument("<pipeline-or-cron>", 'a pipeline (NAME or NS/NAME), a cron expression in quotes, "every 5m" or "at 2026-12-24T18:00"')
    .option("-n, --count <n>", "how many times", "5")
    .option("--tz <zone>", "time zone to read and show times in (default: this machine's)")
    .option("--from <time>", "start from this time instead of now (ISO 8601)")
    .option("-f, --file <file>", "read the pipeline from this definitions file (- for stdin, or an https:// URL) instead of the engine")
    .option("--allow-http-file", ALLOW_HTTP_FILE)
    .option("--json", 'print { "description", "next": [ISO…] }, and "note": why times are missing, if they are (paused, no engine running)')
    .addHelpText(
      "after",
      examples(['spire next "0 3 * * 1-5" --tz Europe/Berlin', 'spire next "every 90m" -n 3', "spire next backup -n 10", 'spire next "30 2 * * *" --tz America/New_York --from 2027-03-10 --json']) +
        `
A pipeline the engine has is shown as the engine fires it: an "every"
(without align or start) counts from when the engine first scheduled it.
"every 5m", and a pipeline read with -f, count from now (or --from), as if
applied then; the schedule's words say so.
`,
    )
    .action(async (subject, options, command) => (await import("./commands/next.js")).nextCommand(subject, { ...options, ...globals(command) }));

  program
    .command("mcp")
    .description("a Model Context Protocol server on stdin/stdout, for AI assistants: pipelines, runs and logs as tools")
    .addHelpText(
      "after",
      examples(["spire mcp", "SPIRE_ENGINE=https://spire.example.net:7431 SPIRE_TOKEN=… spire mcp"]) +
        `
An assistant (Claude Desktop, an editor, an agent) starts it as a child
process and talks MCP over its stdin and stdout: in its mcpServers config,
the command is spire, its args ["mcp"], and its env SPIRE_TOKEN (the guide
docs/guides/mcp.md shows the whole entry). Every call goes to the engine
(spire engine) with the token: SPIRE_TOKEN, or for the local engine the
data folder's admin token. Give the assistant a token of its own with the
least scope it needs: spire token create --scope read (it sees), or --scope
run (it also starts, cancels, retries, pauses and resumes). The engine
serves the same tools over HTTP at /mcp, to a client that sends the token
as a bearer token.
`,
    )
    .action(async (_options, command) => (await import("./commands/mcp.js")).mcpCommand(globals(command)));

  program
    .command("hook")
    .description("a pipeline's webhook URL and hook token (the token starts that pipeline and nothing else)")
    .argument("<pipeline>", "NAME or NS/NAME")
    .option("--ns <namespace>", "the namespace, when NAME is in several")
    .option("--json", "print { url, token, enabled }")
    .option("--rotate", "change the hook token first: the old one stops working (for a token that leaked)")
    .addHelpText("after", examples(["spire hook deploy", "curl -X POST -H \"Authorization: Bearer $(spire hook deploy --json | jq -r .token)\" …", "spire hook deploy --rotate"]))
    .action(async (pipeline, options, command) => (await import("./commands/hook.js")).hookCommand(pipeline, { ...options, ...globals(command) }));

  program
    .command("ui")
    .description("open the web UI of the running engine in your browser, logged in through a one-time link")
    .option("--print", "print the link instead of opening a browser (it works once, within 60 s)")
    .addHelpText(
      "after",
      examples(["spire ui", "spire ui --print", "spire --engine http://127.0.0.1:7431 ui --print"]) +
        `
The link logs a browser in once, within 60 seconds, with the scope of this
command line's token; the browser keeps a session cookie for a week at most. For
an engine on another machine, open its address and paste an API token on the
login page (spire token create --scope run).
`,
    )
    .action(async (options, command) => (await import("./commands/ui.js")).uiCommand({ ...options, ...globals(command) }));

  program
    .command("gc")
    .description("apply retention now: remove finished runs past their pipeline's retention (or the engine's defaults), with their logs and artifacts")
    .option("--dry-run", "say what would be removed, remove nothing")
    .option("--json", "print what was removed as JSON")
    .addHelpText(
      "after",
      examples(["spire gc --dry-run", "spire gc", "spire gc --json | jq .bytes"]) +
        `
The newest finished run of each pipeline always stays, and queued or running
runs are never removed. With no engine running, gc works on the data folder
directly, with the limits its last engine was started with.
`,
    )
    .action(async (options, command) => (await import("./commands/gc.js")).gcCommand({ ...options, ...globals(command) }));

  const token = program.command("token").description("API tokens: create, list, revoke").addHelpText("after", examples(["TOKEN=$(spire token create --scope run --ttl 30d --name ci)", "spire token list", "spire token revoke f30a2be5bb21bad85c45aeb4"]));
  token
    .command("create")
    .description("create a token; prints only the token")
    .addOption(
      new Option("--scope <scope>", "what it may do: read < run < admin, each including the ones before it; worker only lets a worker on another machine run tasks")
        .choices(SCOPES)
        .default("read"),
    )
    .option("--ttl <duration>", "lifetime, e.g. 30d (default: no expiry)")
    .option("--name <name>", "a name to recognise it by (shown in the audit log)")
    .addHelpText("after", examples(["spire token create --scope run --ttl 30d --name ci", "spire token create --scope worker --name gpu-box"]))
    .action(async (options, command) => (await import("./commands/tokens.js")).tokenCreateCommand({ ...options, ...globals(command) }));
  token
    .command("list")
    .description("tokens, with scope, expiry and whether revoked")
    .option("--json", "print JSON")
    .addHelpText("after", examples(["spire token list"]))
    .action(async (options, command) => (await import("./commands/tokens.js")).tokenListCommand({ ...options, ...globals(command) }));
  token
    .command("revoke")
    .description("revoke a token (takes effect at once)")
    .argument("<id>", "the token's id, from spire token list")
    .addHelpText("after", examples(["spire token revoke f30a2be5bb21bad85c45aeb4"]))
    .action(async (id, options, command) => (await import("./commands/tokens.js")).tokenRevokeCommand(id, { ...options, ...globals(command) }));
  token
    .command("prunner")
    .description("a token for prunner's API (spire engine --prunner), signed with $PRUNNER_JWT_SECRET or the data folder's prunner.yml; prints only the token")
    .option("--sub <user>", "the user it speaks for: runs it starts or cancels are recorded as theirs (default: prunner)")
    .option("--ttl <duration>", "lifetime, e.g. 1h (default: no expiry)")
    .addHelpText("after", examples(["curl -H \"Authorization: Bearer $(spire token prunner --sub jane --ttl 1h)\" http://127.0.0.1:9009/pipelines/"]))
    .action(async (options, command) => (await import("./commands/prunner-token.js")).prunnerTokenCommand({ ...options, ...globals(command) }));

  program
    .command("audit")
    .description("who changed or started what, when")
    .option("-n, --limit <n>", "how many", "50")
    .option("--json", "print JSON")
    .addHelpText("after", examples(["spire audit -n 20"]))
    .action(async (options, command) => (await import("./commands/tokens.js")).auditCommand({ ...options, ...globals(command) }));

  program
    .command("runs")
    .description("run history, newest first")
    .argument("[pipeline]", "only runs of this pipeline")
    .option("--status <state>", "only runs in this state (succeeded, failed, canceled, …)")
    .option("--ns <namespace>", "only runs in this namespace")
    .option("-n, --limit <n>", "how many", "20")
    .option("--json", "print JSON")
    .addHelpText("after", examples(["spire runs", "spire runs backup --status failed -n 5"]))
    .action(async (pipeline, options, command) => (await import("./commands/runs.js")).runsCommand(pipeline, { ...options, ...globals(command) }));

  program
    .command("show")
    .description("a run as a tree: states, times, attempts, where each ran, exit codes, warnings, errors, metrics, outputs")
    .argument("<run>", "run id, a unique prefix of one, or `last`")
    .argument("[pipeline]", "with last: the newest run of this pipeline")
    .option("--json", "print the run object (as GET /api/v1/runs/{id} answers it)")
    .addHelpText("after", examples(["spire show last", "spire show last backup", "spire show 01jbx4k2 --json"]))
    .action(async (run, pipeline, options, command) => (await import("./commands/show.js")).showCommand(run, pipeline, { ...options, ...globals(command) }));

  program
    .command("logs")
    .description("the logs of a run, or of one of its tasks")
    .argument("<run>", "run id, a unique prefix of one, or `last`")
    .argument("[words...]", "TASK; after last: [PIPELINE] [TASK]")
    .option("-f, --follow", "keep printing new lines until the run ends")
    .addOption(new Option("--stream <stream>", "only this stream").choices(["stdout", "stderr"]))
    .option("--attempt <n>", "this attempt (default: the last)")
    .option("-t, --timestamps", "show each line's time (to the millisecond)")
    .addHelpText(
      "after",
      examples(["spire logs last", "spire logs last backup", "spire logs last backup dump --stream stderr -t", "spire logs -f 01jbx4k2 checks/size"]) +
        `
After last, one word is a task of the newest run when it has such a task,
else a pipeline, NAME or NS/NAME (its newest run). A task is its path:
dump, checks/size (in a group) or shards[2] (in an array).
`,
    )
    .action(async (run, words, options, command) => (await import("./commands/logs.js")).logsCommand(run, words, { ...options, ...globals(command) }));

  addServiceCommands(program);

  program
    .command("completion")
    .description("print a shell completion script: commands, options, files, and pipeline names, run ids and task names from the engine")
    .addArgument(new Argument("[shell]", "the shell to complete for").choices(SHELLS))
    .addHelpText(
      "after",
      examples([
        "spire completion bash > ~/.local/share/bash-completion/completions/spire",
        "mkdir -p ~/.zfunc && spire completion zsh > ~/.zfunc/_spire",
        "spire completion fish > ~/.config/fish/completions/spire.fish",
      ]) +
        `
bash: the folder above is read by the bash-completion package (make it with
mkdir -p if it is not there); without that package, put
source <(spire completion bash) in ~/.bashrc instead.
zsh: ~/.zfunc must be in fpath before compinit runs: in ~/.zshrc,
fpath=(~/.zfunc $fpath) above compinit. Open a new shell afterwards.

Pipeline names, run ids and task names are asked of the engine at each Tab,
when one is running (none is started for it). The script is made from this
version of Spire: make it again after upgrading.
`,
    )
    .action(async (shell) => (await import("./commands/completion.js")).completionCommand(shell, program));

  // What a completion script asks for at Tab time (bin/spire.js takes a shorter way to the same function).
  program
    .command("__complete", { hidden: true })
    .argument("<name>")
    .argument("[words...]")
    .allowUnknownOption()
    .action(async (name, words, _options, command) => (await import("./commands/completion-values.js")).completionValuesCommand(name, words, globals(command)));

  helpAfterErrorNamesTheCommand(program, "spire");
  refuseRepeatedFiles(program);
  return program;
}

/** After a usage error, the help to read is the command's own: `(spire token create --help for usage)`. */
function helpAfterErrorNamesTheCommand(parent: Command, path: string): void {
  for (const command of parent.commands) {
    const full = `${path} ${command.name()}`;
    command.showHelpAfterError(`(${full} --help for usage)`);
    helpAfterErrorNamesTheCommand(command, full);
  }
}

/** The words after `--` on the command line (an ad hoc command); undefined when there is no `--`. */
function wordsAfterDashes(command: Command): string[] | undefined {
  let root: Command = command;
  while (root.parent) root = root.parent;
  const raw = (root as Command & { rawArgs: string[] }).rawArgs;
  const dashes = raw.indexOf("--");
  return dashes < 0 ? undefined : raw.slice(dashes + 1);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function main(argv: string[]): Promise<void> {
  // What Spire writes is private (0600/0700); users' tasks get the umask back (files/private.ts).
  usePrivateUmask();
  // `spire logs last | head`: the reader left, which is no error of ours; stop quietly, as cat does.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(EXIT.ok);
    throw error;
  });
  const program = buildProgram();
  try {
    const unknown = unknownCommand(program, argv.slice(2));
    if (unknown) throw unknown;
    if (isHelpOfHelp(argv.slice(2))) return void process.stdout.write(program.helpInformation());
    await program.parseAsync(argv);
  } catch (error) {
    // A page SQLite finds damaged once the database is open (opening says so itself): the data folder's database, said as such.
    const damaged = isDatabaseDamaged(error) ? new DatabaseDamagedError(databaseFile(dataDir((program.opts() as { data?: string }).data)), damageOf(error)) : undefined;
    process.exit(report(damaged ?? error));
  }
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message already; help and version are not errors.
    return error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const known = cliErrorOf(error);
  if (known) {
    process.stderr.write(`spire: ${known.message}\n${known.hint ? `${known.hint}\n` : ""}`);
    return known.exitCode;
  }
  if (isDiskFull(error)) {
    process.stderr.write(`spire: ${error instanceof DiskFullError ? error.message : `no space left on the disk (${(error as Error).message}): free some space`}\nNothing was lost: try again once there is room.\n`);
    return EXIT.runFailed;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`spire: internal error: ${message}\n`);
  if (process.env.SPIRE_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write("(set SPIRE_DEBUG=1 for details, and please report it)\n");
  return EXIT.runFailed;
}
