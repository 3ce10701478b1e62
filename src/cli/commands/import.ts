/**
 * `spire import crontab [FILE]`: a crontab (a file, `-` for stdin, or the
 * user's own through `crontab -l`) as a spire.yaml, printed or written to a
 * new file. The translation is pure (spec/import/crontab.ts); this reads the
 * crontab, checks the result as spire validate would, and says what a
 * person should know about it on stderr.
 */
import { execFile } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, resolve } from "node:path";
import { text as readAll } from "node:stream/consumers";
import { promisify } from "node:util";
import { importCrontab, type CrontabImport } from "../../definitions/import/crontab.js";
import { formatDefinitionErrors, parseDefinitions } from "../../definitions/load.js";
import { MAX_DEFINITIONS_BYTES } from "../../definitions/yaml-source.js";
import { CliError, EXIT } from "../errors.js";
import { writeNewFile } from "../new-file.js";
import { schemaUrl } from "../package-files.js";

export interface ImportCrontabOptions {
  output?: string;
  /** --system / --no-system; undefined: told from the file's place and content. */
  system?: boolean;
}

const GIVE_A_FILE = "Give the crontab as a file instead: spire import crontab FILE (crontab -l > my.crontab where your crontab is; /etc/crontab with --system).";

export async function importCrontabCommand(file: string | undefined, options: ImportCrontabOptions): Promise<void> {
  const { text, source } = file === undefined ? await ownCrontab() : { text: await crontabFile(file), source: file === "-" ? "standard input" : basename(file) };
  const fileName = options.output ?? "spire.yaml";
  const system = options.system ?? (file !== undefined && isSystemPlace(file) ? true : undefined);
  const result = importCrontab(text, { home: homedir(), source, fileName, schemaUrl: schemaUrl(), ...(system === undefined ? {} : { system }) });
  if (result.pipelines.length === 0 && result.disabled === 0) {
    writeNotes(result);
    throw new CliError(
      result.notImported === 0 ? `${source} has no jobs to import` : `none of the jobs in ${source} could be imported (the lines above say why)`,
      EXIT.usage,
      result.notImported === 0 ? "A job is a line such as: 30 2 * * * $HOME/bin/backup.sh" : "Fix those lines (spire next \"CRON\" checks a schedule) and import again.",
    );
  }
  // What is printed must pass spire validate: a file that does not is our bug, not the user's.
  const checked = parseDefinitions(result.text, fileName);
  if (!checked.ok) {
    throw new CliError(`could not import ${source}: the result does not pass spire validate:\n${formatDefinitionErrors(checked.errors)}`, EXIT.runFailed, "Please report this, with the crontab.");
  }
  if (options.output === undefined) process.stdout.write(result.text);
  else await writeNewFile(options.output, result.text, { flag: "-o", example: `spire import crontab${file === undefined ? "" : ` ${file}`} -o crontab.yaml` });
  writeNotes(result);
  process.stderr.write(`${summary(result, source, options.output)}\n`);
}

function writeNotes(result: CrontabImport): void {
  for (const note of result.notes) process.stderr.write(`line ${note.line}: ${note.message}\n`);
}

/** The user's crontab, as `crontab -l` prints it. */
async function ownCrontab(): Promise<{ text: string; source: string }> {
  try {
    const { stdout } = await promisify(execFile)("crontab", ["-l"], { encoding: "utf8", maxBuffer: MAX_DEFINITIONS_BYTES, timeout: 30_000 });
    return { text: stdout, source: "crontab -l" };
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string; code?: string | number };
    if (failure.code === "ENOENT") throw new CliError("cannot read your crontab: this machine has no crontab program", EXIT.usage, GIVE_A_FILE);
    const said = (failure.stderr ?? "").trim();
    if (/no crontab for/i.test(said)) throw new CliError(`you have no crontab (crontab -l: ${said})`, EXIT.usage, "Nothing to import. To import another crontab, give its file: spire import crontab FILE");
    throw new CliError(`crontab -l failed${said === "" ? `: ${failure.message}` : `: ${said}`}`, EXIT.usage, GIVE_A_FILE);
  }
}

async function crontabFile(file: string): Promise<string> {
  if (file === "-") return readAll(process.stdin);
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new CliError(`${file} is a folder, not a crontab`, EXIT.usage, "Give the crontab file itself (for a folder such as /etc/cron.d, import its files one by one).");
    if (info.size > MAX_DEFINITIONS_BYTES) throw new CliError(`${file} is ${info.size} bytes: no crontab is that big`, EXIT.usage, "Check that it is the crontab you mean.");
    return await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new CliError(`no such file: ${file}`, EXIT.usage, "Give the path of a crontab file, or leave FILE out to import your own (crontab -l).");
    if (code === "EACCES" || code === "EPERM") throw new CliError(`cannot read ${file}: permission denied`, EXIT.usage, `Read it as a user who may, and pass it on: sudo cat ${file} | spire import crontab -`);
    throw error;
  }
}

/** /etc/crontab and /etc/cron.d/* have a user field; a user's crontab has not. */
function isSystemPlace(file: string): boolean {
  const path = resolve(file);
  return path === "/etc/crontab" || dirname(path) === "/etc/cron.d";
}

function summary(result: CrontabImport, source: string, output: string | undefined): string {
  const count = result.pipelines.length;
  const parts = [`${output === undefined ? "imported" : `wrote ${output}:`} ${count} job${count === 1 ? "" : "s"} from ${source}${result.system ? " (a system crontab)" : ""}${count > 0 ? ` as pipeline${count === 1 ? "" : "s"} ${result.pipelines.join(", ")}` : ""}`];
  if (result.disabled > 0) parts.push(`${result.disabled} switched off (commented out, ready to use)`);
  if (result.notImported > 0) parts.push(`${result.notImported} not imported (kept as comments; see above)`);
  const file = output ?? "spire.yaml";
  const next = count > 0 ? `\nCheck them: spire next ${result.pipelines[0]} -f ${file}, spire run -f ${file} ${result.pipelines[0]}` : "";
  return `${parts.join("; ")}${next}`;
}
