/**
 * Where a prunner template's value would be parsed again after the script's
 * own shell expanded it: the same rule as for Spire's argv (argv-code.ts)
 * applied to each command of the script, plus bash's builtins that run
 * their arguments (eval, source, trap, let, alias, declare -i), the stdin
 * of a command that reads its code there (a here-document, a here-string or
 * a pipe from a command that printed the value: `echo … | sh`), variables
 * read as code (BASH_ENV=…, PATH=…), and bash's own arithmetic. A template
 * in such a place cannot be made safe by quoting, so the file is refused
 * there. Not followed: a value the script moves itself (`read x; eval "$x"`).
 */
import { argvFindings, stdinCodeReader, type ArgvWord, type Finding } from "../argv-code.js";
import { isCodeVariable } from "../code-env.js";
import type { ScriptCommand, ScriptReading, ScriptWord, TemplateSpan } from "./shell-script.js";

export interface Refusal {
  message: string;
  hint: string;
}

/** The refusals of a script's templates, by span; `describe` gives each one's environment variable and text. */
export function nestedRefusals(reading: ScriptReading, describe: (span: TemplateSpan) => { variable: string; text: string }): Map<TemplateSpan, Refusal> {
  const refusals = new Map<TemplateSpan, Refusal>();
  const refuse: Refuse = (spans, why, hint) => {
    for (const span of spans) {
      if (refusals.has(span)) continue;
      const { variable, text } = describe(span);
      refusals.set(span, {
        message: `\`${text}\` cannot stand here: ${why}`,
        hint: hint?.(variable) ?? `the value is in the environment as $${variable}: let what runs read it there (sh -c 'echo "$${variable}"', os.environ["${variable}"]), or pass it as an argument after the code (sh -c 'echo "$1"' sh ${text})`,
      });
    }
  };
  for (const placement of reading.placements) if (placement.unsafe !== undefined) refuse([placement.span], placement.unsafe.why, placement.unsafe.hint === undefined ? undefined : () => placement.unsafe!.hint!);
  for (const pipeline of reading.pipelines) {
    pipeline.forEach((command, stage) => {
      judgeCommand(command, refuse);
      const reader = readsCodeFromStdin(command);
      if (reader === undefined) return;
      const flowing = [...command.stdin, ...pipeline.slice(0, stage).flatMap((earlier) => earlier.spans)];
      refuse(flowing, `${reader} reads its commands from its input, which carries this value: it would run as code`);
    });
  }
  return refusals;
}

type Refuse = (spans: readonly TemplateSpan[], why: string, hint?: (variable: string) => string) => void;

function judgeCommand(command: ScriptCommand, refuse: Refuse): void {
  for (const { name, word } of command.assignments) {
    if (isCodeVariable(name)) refuse(word.spans, `it sets ${name}, which programs read as code`, (variable) => `keep the value in $${variable} and let the program read it from there`);
  }
  judgeWords(command.words, refuse);
}

/** Builtins first (they are bash's own), then the argv rule. */
function judgeWords(words: readonly ScriptWord[], refuse: Refuse): void {
  const [first, ...rest] = words;
  if (first === undefined) return;
  if (first.expands || first.opaqueFrom !== undefined) {
    if (words.some((word) => word.spans.length > 0)) refuse(words.flatMap((word) => word.spans), "the program is named by a variable or a value, so Spire cannot tell whether it runs the value as code");
    return;
  }
  switch (first.text) {
    case "eval":
    case "alias":
    case "let":
      return refuse(rest.flatMap((word) => word.spans), first.text === "let" ? "let evaluates it as arithmetic, which runs any $( ) in the value" : `${first.text} runs it as code`);
    case "source":
    case ".":
      return refuse(rest[0]?.spans ?? [], `${first.text} runs the file it names`);
    case "trap":
      return refuse(rest.flatMap((word) => word.spans), "trap runs its action as code");
    case "declare":
    case "typeset":
    case "local":
    case "export":
    case "readonly":
      return judgeDeclaration(first.text, rest, refuse);
    case "builtin":
    case "command":
      if (rest[0]?.text === "-v" || rest[0]?.text === "-V") return;
      return judgeWords(rest[0]?.text === "-p" ? rest.slice(1) : rest, refuse);
  }
  for (const finding of argvFindings(words.map(argvWord))) {
    const remote = finding.family === "remote" && finding.role === "code";
    refuse(words[finding.index]!.spans, why(finding), remote ? (variable) => `the remote shell parses what ssh sends: pass the value on with ssh -o SendEnv=${variable} (the server must AcceptEnv it) and read "$${variable}" there` : undefined);
  }
}

function judgeDeclaration(builtin: string, words: readonly ScriptWord[], refuse: Refuse): void {
  const integer = words.some((word) => /^[-+][a-zA-Z]*i/.test(word.text) && word.opaqueFrom === undefined);
  for (const word of words) {
    const name = /^([A-Za-z_][A-Za-z0-9_]*)/.exec(word.text)?.[1];
    if (integer) refuse(word.spans, `${builtin} -i evaluates it as arithmetic, which runs any $( ) in the value`);
    else if (word.opaqueFrom !== undefined && (name === undefined || word.opaqueFrom <= name.length)) refuse(word.spans, `${builtin} would take the value as a name, an option or a subscript`);
    else if (name !== undefined && isCodeVariable(name)) refuse(word.spans, `it sets ${name}, which programs read as code`);
  }
}

function readsCodeFromStdin(command: ScriptCommand): string | undefined {
  const [first, second] = command.words;
  if (first === undefined || first.expands) return undefined;
  // source /dev/stdin, . /dev/stdin
  if ((first.text === "source" || first.text === ".") && second !== undefined && ["/dev/stdin", "-", "/dev/fd/0"].includes(second.text)) return first.text;
  return stdinCodeReader(command.words.map(argvWord));
}

function argvWord(word: ScriptWord): ArgvWord {
  return word.opaqueFrom === undefined ? { text: word.text } : { text: word.text, opaqueFrom: word.opaqueFrom };
}

function why(finding: Finding): string {
  switch (finding.role) {
    case "program":
      return finding.reader === "the task" ? "it would choose the program that runs" : `it would choose what ${finding.reader} runs (a script, module or file it loads)`;
    case "code":
      if (finding.detail !== undefined) return `it sets ${finding.detail} for ${finding.reader}, which reads it as code`;
      return finding.family === "remote" ? `${finding.reader} sends it to the remote shell, which parses it as code` : `${finding.reader} runs it as code`;
    case "option":
      return `it stands where ${finding.reader} reads its options, where a value such as --eval=… could become code (put -- before it)`;
    case "unknown":
      return `Spire does not know how ${finding.reader} reads ${finding.detail ?? "the option before it"}, so it cannot tell whether the value is code`;
  }
}
