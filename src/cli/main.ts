/**
 * The `spire` command line. Each command's module is loaded only when that
 * command runs, so `spire --help` and light commands start fast.
 */
import { Command, CommanderError, Option } from "commander";
import { VERSION } from "../version.js";
import { CliError, EXIT } from "./errors.js";

const examples = (lines: string[]) => `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;

export function buildProgram(): Command {
  const program = new Command("spire")
    .description("A personal scheduler and pipeline runner: cron, grown up.")
    .version(VERSION, "-V, --version")
    .option("--data <dir>", "data folder (default: $SPIRE_DATA, or $XDG_DATA_HOME/spire, or ~/.local/share/spire)")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  program
    .command("validate")
    .description("check a definitions file without running or applying it")
    .option("-f, --file <file>", "definitions file", "spire.yaml")
    .option("--json", "print the errors as JSON")
    .addHelpText("after", examples(["spire validate -f examples/hello.yaml"]))
    .action(async (options) => (await import("./commands/validate.js")).validateCommand(options));

  program
    .command("run")
    .description("run a pipeline from a definitions file and record it")
    .argument("[pipeline]", "the pipeline to run (optional when the file has only one)")
    .option("-f, --file <file>", "definitions file", "spire.yaml")
    .option("-a, --arg <key=value>", "a run argument (repeatable)", collect, [])
    .option("--json", "print only the final run object as JSON")
    .option("--parallelism <n>", "tasks at once (default: the number of CPUs)")
    .addHelpText(
      "after",
      examples(["spire run -f examples/hello.yaml", "spire run -f backup.yaml backup --arg level=best", "spire run -f ci.yaml --json > run.json"]),
    )
    .action(async (pipeline, options, command) =>
      process.exit(await (await import("./commands/run.js")).runCommand(pipeline, { ...options, data: command.parent.opts().data })),
    );

  program
    .command("runs")
    .description("run history, newest first")
    .argument("[pipeline]", "only runs of this pipeline")
    .option("--status <state>", "only runs in this state (succeeded, failed, canceled, …)")
    .option("--ns <namespace>", "only runs in this namespace")
    .option("-n, --limit <n>", "how many", "20")
    .option("--json", "print JSON")
    .addHelpText("after", examples(["spire runs", "spire runs backup --status failed -n 5"]))
    .action(async (pipeline, options, command) => (await import("./commands/runs.js")).runsCommand(pipeline, { ...options, data: command.parent.opts().data }));

  program
    .command("show")
    .description("a run as a tree: states, times, attempts, exit codes, warnings, errors, metrics, outputs")
    .argument("<run>", "run id, a unique prefix of one, or `last`")
    .option("--json", "print the run object (SPEC §5)")
    .addHelpText("after", examples(["spire show last", "spire show 01jbx4k2 --json"]))
    .action(async (run, options, command) => (await import("./commands/show.js")).showCommand(run, { ...options, data: command.parent.opts().data }));

  program
    .command("logs")
    .description("the logs of a run, or of one of its tasks")
    .argument("<run>", "run id, a unique prefix of one, or `last`")
    .argument("[task]", "task path, e.g. dump or checks/size or shards[2]")
    .addOption(new Option("--stream <stream>", "only this stream").choices(["stdout", "stderr"]))
    .option("--attempt <n>", "this attempt (default: the last)")
    .option("-t, --timestamps", "show each line's timestamp")
    .addHelpText("after", examples(["spire logs last", "spire logs last dump --stream stderr -t"]))
    .action(async (run, task, options, command) => (await import("./commands/logs.js")).logsCommand(run, task, { ...options, data: command.parent.opts().data }));

  return program;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exit(report(error));
  }
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message already; help and version are not errors.
    return error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof CliError) {
    process.stderr.write(`spire: ${error.message}\n${error.hint ? `${error.hint}\n` : ""}`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`spire: internal error: ${message}\n`);
  if (process.env.SPIRE_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write("(set SPIRE_DEBUG=1 for details, and please report it)\n");
  return EXIT.runFailed;
}
