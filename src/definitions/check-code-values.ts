/**
 * Values from outside a definition never become code, in argv payloads too.
 *
 * `${{ args.X }}` and `${{ tasks.T.outputs.K }}` carry values from outside
 * (whoever starts a run or sends its hook, or what a task printed); they are
 * refused wherever a program would read them as code or let them choose
 * what runs (argv-code.ts says where that is, in exec, docker's command and
 * the arguments of run, python, node and script tasks), and in environment
 * variables that programs read as code (code-env.ts). `${{ matrix.K }}` and
 * `${{ run.… }}` are written by the file or made by Spire from a safe
 * alphabet, so they may stand anywhere a template may.
 */
import { argvFindings, type ArgvWord, type Finding } from "./argv-code.js";
import type { Family } from "./argv-programs.js";
import type { CheckContext } from "./check-context.js";
import { isCodeVariable } from "./code-env.js";
import type { PathSegment } from "./errors.js";
import { entriesOf, type RawTask } from "./raw-walk.js";
import { isRecord } from "./zod-issues.js";
import { findTemplates, parseTemplateExpr, type TemplateMatch } from "./templates.js";
import { splitWords } from "./words.js";

interface Word {
  text: string;
  /** Where the word is written; undefined for words Spire adds (sh's -c, the code of a python task). */
  path?: PathSegment[];
}

/** Templates whose value comes from outside the definition. */
export function outsideTemplates(text: string): TemplateMatch[] {
  return findTemplates(text).filter((template) => {
    const ref = parseTemplateExpr(template.expr);
    return !("error" in ref) && (ref.kind === "args" || ref.kind === "task_output");
  });
}

export function checkCodeValues(context: CheckContext, task: RawTask): void {
  const argv = taskArgv(task);
  if (argv !== undefined) checkArgv(context, argv);
  checkEnvValues(context, [...task.path, "env"], task.task["env"]);
  const docker = task.task["docker"];
  if (!isRecord(docker)) return;
  checkEnvValues(context, [...task.path, "docker", "env"], docker["env"]);
  checkImage(context, [...task.path, "docker", "image"], docker["image"]);
}

/** An image names what runs; a value may pick its tag or digest (after a literal `:` or `@`), not the image. */
function checkImage(context: CheckContext, path: PathSegment[], image: unknown): void {
  if (typeof image !== "string") return;
  for (const template of outsideTemplates(image)) {
    if (/[:@]/.test(image.slice(0, template.index))) continue;
    context.report(path, `\`${template.text}\` would choose the image that runs: a value from outside could run any image`, {
      hint: `a value may choose the image's tag (image:${template.text}), not the image`,
    }, context.inside(path, template.text));
  }
}

/** An env mapping (a pipeline's, a task's, docker's): values from outside may not set variables read as code. */
export function checkEnvValues(context: CheckContext, path: PathSegment[], env: unknown): void {
  for (const [name, value] of entriesOf(env)) checkVariable(context, [...path, name], name, value);
}

function checkVariable(context: CheckContext, path: PathSegment[], name: string, value: unknown): void {
  if (typeof value !== "string" || !isCodeVariable(name)) return;
  for (const template of outsideTemplates(value)) {
    context.report(path, `\`${template.text}\` cannot set ${name}: programs read it as code (or as where their code comes from), so the value would run`, {
      hint: `pass the value in a variable of your own (env: { VALUE: "${template.text}" }) and let the program read that one`,
    }, context.inside(path, template.text));
  }
}

/** The argv a task runs, as the runners build it (runners/runners.ts), with where each word is written. */
export function taskArgv(task: RawTask): Word[] | undefined {
  const def = task.task;
  const args = listWords(def["args"], [...task.path, "args"]);
  const shell = typeof def["shell"] === "string" ? def["shell"] : "sh";
  const interpreter: Word | undefined = typeof def["interpreter"] === "string" ? { text: def["interpreter"], path: [...task.path, "interpreter"] } : undefined;
  if (def["exec"] !== undefined) return [...listWords(def["exec"], [...task.path, "exec"]), ...args];
  if (args.length === 0 && def["docker"] === undefined) return undefined;
  if (def["run"] !== undefined) return [{ text: shell }, { text: "-c" }, { text: "run" }, { text: "spire" }, ...args];
  if (def["python"] !== undefined) return [interpreter ?? { text: "python3" }, { text: "-c" }, { text: "python" }, ...args];
  if (def["node"] !== undefined) return [{ text: "node" }, { text: "-e" }, { text: "node" }, { text: "--" }, ...args];
  if (def["script"] !== undefined) return [interpreter ?? { text: "script" }, { text: "script" }, ...args];
  const docker = def["docker"];
  if (isRecord(docker)) return dockerCommand(docker["command"], [...task.path, "docker", "command"]);
  return undefined;
}

/** docker's command: argv for the image's entrypoint (which Spire cannot see: it is read as a program of its own). */
function dockerCommand(command: unknown, path: PathSegment[]): Word[] | undefined {
  if (typeof command === "string") return splitWords(command).map((text) => ({ text, path }));
  return Array.isArray(command) ? listWords(command, path) : undefined;
}

function listWords(value: unknown, path: PathSegment[]): Word[] {
  if (!Array.isArray(value)) return [];
  return value.map((item, index) => ({ text: typeof item === "string" ? item : String(item), path: [...path, index] }));
}

function checkArgv(context: CheckContext, argv: Word[]): void {
  const words: ArgvWord[] = argv.map((word) => {
    const first = word.path === undefined ? undefined : outsideTemplates(word.text)[0];
    return first === undefined ? { text: word.text } : { text: word.text, opaqueFrom: first.index };
  });
  for (const finding of argvFindings(words)) {
    const word = argv[finding.index]!;
    if (word.path === undefined) continue;
    for (const template of outsideTemplates(word.text)) {
      context.report(word.path, message(finding, template.text), { hint: hint(finding, template.text) }, context.inside(word.path, template.text));
    }
  }
}

const OPTION_EXAMPLE: Partial<Record<Family, string>> = {
  shell: "-c",
  python: "-c",
  node: "--eval=…",
  perl: "-e…",
  ruby: "-e…",
  php: "-r…",
  sed: "--expression=…",
  jq: "--from-file=…",
  git: "--upload-pack=…",
  remote: "-oProxyCommand=…",
};

function message(finding: Finding, template: string): string {
  const reader = finding.reader;
  switch (finding.role) {
    case "program":
      return reader === "the task"
        ? `\`${template}\` would choose the program that runs: a value from outside could run any program`
        : `\`${template}\` would choose what ${reader} runs (a script, module or file it loads): a value from outside could run anything`;
    case "code":
      if (finding.detail !== undefined) return `\`${template}\` cannot set ${finding.detail} for ${reader}: it is read as code, so the value would run`;
      if (finding.family === "remote") return `\`${template}\` is part of the command ${reader} sends: the remote shell parses it, so the value would run as code`;
      return `\`${template}\` is part of the code ${reader} runs: values never become code`;
    case "option":
      return `\`${template}\` stands where ${reader} reads its options: a value such as ${OPTION_EXAMPLE[finding.family ?? "wrapper"] ?? "an option"} would change what runs`;
    case "unknown":
      return `Spire does not know how ${reader} reads ${finding.detail ?? "the option before it"}, so it cannot tell whether \`${template}\` after it is code`;
  }
}

/** Command-line SQL clients: Spire's sql: tasks do what they would, with values bound as parameters. */
const SQL_CLIENTS = new Set(["sqlite3", "psql", "mysql", "mariadb", "duckdb"]);

const CODE_HINTS: Partial<Record<Family, (value: string, shell: string) => string>> = {
  shell: (value, shell) => `pass it as an argument after the code: [${shell}, -c, 'echo "$1"', ${shell}, "${value}"]; or through env: { VALUE: "${value}" } and "$VALUE" in the code`,
  python: (value) => `pass it as an argument after the code: [python3, -c, 'import sys; print(sys.argv[1])', "${value}"]; or through env: { VALUE: "${value}" } and os.environ["VALUE"]`,
  node: (value) => `pass it as an argument after the code and a --: [node, -e, 'console.log(process.argv[1])', --, "${value}"]; or through env: { VALUE: "${value}" } and process.env.VALUE`,
  perl: (value) => `pass it as an argument after the code and a --: [perl, -e, 'print $ARGV[0]', --, "${value}"]; or through env: { VALUE: "${value}" } and $ENV{VALUE}`,
  ruby: (value) => `pass it as an argument after the code and a --: [ruby, -e, 'puts ARGV[0]', --, "${value}"]; or through env: { VALUE: "${value}" } and ENV["VALUE"]`,
  php: (value) => `pass it as an argument after the code and a --: [php, -r, 'echo $argv[1];', --, "${value}"]; or through env: { VALUE: "${value}" } and getenv("VALUE")`,
  awk: (value) => `pass it through env: { VALUE: "${value}" } and read ENVIRON["VALUE"] in the program`,
  jq: (value) => `pass it with --arg: [jq, --arg, value, "${value}", '$value']`,
  sed: (value) => `sed cannot take a value safely: use awk with env: { VALUE: "${value}" } and ENVIRON["VALUE"]`,
  remote: (value) => `let the remote command read it from its environment: env: { VALUE: "${value}" } with [ssh, -o, SendEnv=VALUE, HOST, 'echo "$VALUE"'] (the server must AcceptEnv VALUE)`,
  make: (value) => `make expands variables: pass it through env: { VALUE: "${value}" } and read "$$VALUE" in the recipe`,
  git: () => "git reads -c values as configuration, which can run commands: write the configuration out",
  commands: (value, reader) =>
    SQL_CLIENTS.has(reader)
      ? `${reader} reads its arguments as commands of its own, and can run any program from them: a sql: task binds a value as a parameter instead (sql: { url, query: "… :value …", params: { value: "${value}" } })`
      : `${reader} reads its arguments as commands of its own, and can run any program from them: write the commands out, and give the value in env: { VALUE: "${value}" } for them to read ($VALUE)`,
  wrapper: (value) => `run the command without a shell (sudo CMD ARGS…, watch -x, flock FILE CMD ARGS…, runuser -u USER -- CMD ARGS…), or pass it as an argument after the code: [sh, -c, 'echo "$1"', sh, "${value}"]`,
};

function hint(finding: Finding, template: string): string {
  switch (finding.role) {
    case "program":
      return finding.family === "container"
        ? `a value may choose the image's tag (image:${template}), not the image`
        : "write the program out, and pass the value as an argument after it or through env:";
    case "code":
      if (finding.detail !== undefined) return `pass the value in a variable of your own (env: { VALUE: "${template}" }) and let the program read that one`;
      return (CODE_HINTS[finding.family ?? "wrapper"] ?? CODE_HINTS.wrapper!)(template, finding.reader);
    case "option":
      return `put it after a -- that ends the options ([…, --, "${template}"]), or pass it through env:`;
    case "unknown":
      return `write that option as --name=value, put the value after a -- that ends the options, or pass it through env:`;
  }
}
