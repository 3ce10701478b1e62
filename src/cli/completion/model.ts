/**
 * What a shell needs to know to complete a `spire` command line, read from
 * the commander program itself: every command and sub-command, its options
 * (which take a value, and what that value can be), and its arguments. The
 * script generators (bash.ts, zsh.ts, fish.ts) turn this into text, so a new
 * command or option is completed without any change here.
 *
 * Commander knows an argument or an option value only by its name, so the
 * name says what completes it (VALUES_BY_NAME): a new command's `<pipeline>`,
 * `<run>` or `--file <file>` completes as the others do. Pure: no I/O.
 */
import type { Argument, Command, Option } from "commander";

/**
 * What completes a value: literal words, and `@NAME` tokens for lists made at
 * Tab time: `@files`, `@dirs`, `@programs` (a command to run: programs on
 * PATH, then files), `@commands` (the sub-commands beside `help`), and any
 * other `@NAME` asks Spire: `spire __complete NAME [ARGUMENTS…]`.
 */
export type Values = readonly string[];

/** The lists a completion script asks `spire __complete` for (commands/completion-values.ts answers them). */
export const DYNAMIC_VALUES = ["pipelines", "runs", "tasks", "tasks-or-pipelines", "namespaces", "zones"] as const;
export type DynamicValues = (typeof DYNAMIC_VALUES)[number];

export interface OptionModel {
  /** `-f` and `--file`, as they are typed. */
  flags: string[];
  description: string;
  /** Not offered (commander's hidden), but still known, so that its value is not taken for an argument. */
  hidden: boolean;
  takesValue: boolean;
  values: Values;
}

export interface CommandModel {
  /** The words that name it: [] for spire itself, ["token", "create"]. */
  path: string[];
  description: string;
  commands: { name: string; description: string }[];
  options: OptionModel[];
  /** What completes each argument, in order. */
  positionals: Values[];
  /** The last argument takes any number of words. */
  variadic: boolean;
}

export interface CompletionModel {
  /** The program's name (`spire`). */
  program: string;
  /** Every command, spire itself first, each before its sub-commands. */
  commands: CommandModel[];
}

/** What an argument or an option value completes with, by its name (`<file>`, `[pipeline]`). */
const VALUES_BY_NAME: Record<string, Values> = {
  file: ["@files"],
  dir: ["@dirs"],
  pipeline: ["@pipelines"],
  "pipeline-or-cron": ["@pipelines"],
  run: ["last", "@runs"],
  task: ["@tasks"],
  // spire logs RUN [words...]: a TASK of RUN, or after last, [PIPELINE] [TASK].
  words: ["@tasks-or-pipelines"],
  namespace: ["@namespaces"],
  zone: ["@zones"],
  command: ["@programs"],
};

/** A choice is put in the scripts as it is: it must read as one plain word in every shell, and not as a `@NAME` token. */
const LITERAL = /^[A-Za-z0-9_][A-Za-z0-9_.:+=\/-]*$/;

export function completionModel(program: Command): CompletionModel {
  const commands: CommandModel[] = [];
  const visit = (command: Command, path: string[]) => {
    commands.push(commandModel(command, path));
    for (const sub of command.createHelp().visibleCommands(command)) {
      // Commander's own `help [command]` is not among its commands: what it takes is the commands beside it.
      if (command.commands.includes(sub)) visit(sub, [...path, sub.name()]);
      else commands.push({ ...commandModel(sub, [...path, sub.name()]), positionals: [["@commands"]] });
    }
  };
  visit(program, []);
  return { program: program.name(), commands };
}

function commandModel(command: Command, path: string[]): CommandModel {
  const help = command.createHelp();
  const visible = new Set(help.visibleOptions(command));
  // visibleOptions adds the help option, which commander keeps apart from the others.
  const options = [...new Set([...command.options, ...visible])].map((option) => optionModel(option, !visible.has(option)));
  return {
    path,
    description: firstLine(command.description()),
    commands: help.visibleCommands(command).flatMap((sub) => [sub.name(), ...sub.aliases()].map((name) => ({ name, description: firstLine(sub.description()) }))),
    options,
    positionals: command.registeredArguments.map((argument) => argumentValues(argument)),
    variadic: command.registeredArguments.at(-1)?.variadic ?? false,
  };
}

function optionModel(option: Option, hidden: boolean): OptionModel {
  const takesValue = option.required || option.optional;
  return {
    flags: [option.short, option.long].filter((flag): flag is string => flag !== undefined),
    description: firstLine(option.description),
    hidden,
    takesValue,
    values: takesValue ? (option.argChoices ? literals(option.argChoices) : (VALUES_BY_NAME[valueName(option.flags)] ?? [])) : [],
  };
}

function argumentValues(argument: Argument): Values {
  return argument.argChoices ? literals(argument.argChoices) : (VALUES_BY_NAME[argument.name()] ?? []);
}

/** `file` of `-f, --file <file>`. */
function valueName(flags: string): string {
  return /[<[]([^>\]]+?)(?:\.\.\.)?[>\]]/.exec(flags)?.[1] ?? "";
}

function literals(words: readonly string[]): Values {
  for (const word of words) {
    if (!LITERAL.test(word)) throw new Error(`completion: the choice ${JSON.stringify(word)} is not a plain word (letters, digits, _ . : + = / -)`);
  }
  return words;
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.trim();
}

/**
 * An option that takes a value, as a script looks it up: by the words of the
 * command it belongs to and its flag, there and (commander reads an option of
 * a command anywhere after it) in every command below.
 */
export interface ValuedOption {
  path: string[];
  flags: string[];
  /** It has sub-commands, which know the option too. */
  below: boolean;
  values: Values;
  /** An option of spire itself (--data, --engine): passed on to `spire __complete`, which reads it the same way. */
  global: boolean;
}

/** Every option that takes a value, the deepest commands first: an option of a sub-command shadows one of the same flag above it. */
export function valuedOptions(model: CompletionModel): ValuedOption[] {
  return [...model.commands]
    .sort((a, b) => b.path.length - a.path.length)
    .flatMap((command) =>
      command.options
        .filter((option) => option.takesValue)
        .map((option) => ({ path: command.path, flags: option.flags, below: command.commands.length > 0, values: option.values, global: command.path.length === 0 })),
    );
}

/** The options a person is offered at a command: its own, not hidden. */
export function offeredOptions(command: CommandModel): OptionModel[] {
  return command.options.filter((option) => !option.hidden);
}
