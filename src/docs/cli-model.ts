/**
 * The command line as data, read from the commander program that `spire`
 * itself runs (buildProgram): each command with its usage, arguments,
 * options and defaults, and the text its --help prints after them (examples,
 * notes, lists such as the exit codes). The CLI reference and the man page
 * are both written from this, so a command added to the program appears in
 * both at the next `npm run docs`.
 */
import type { EventEmitter } from "node:events";
import type { Command, Option } from "commander";

export interface CliArgument {
  name: string;
  description: string;
  required: boolean;
  variadic: boolean;
  default?: string;
  choices?: readonly string[];
}

export interface CliOption {
  /** As written in the program: `-f, --file <file>`. */
  flags: string;
  long?: string;
  short?: string;
  description: string;
  default?: string;
  choices?: readonly string[];
  /** The variable that sets it, when commander reads one. */
  env?: string;
}

/** A titled list in the help text, such as "Exit codes:": each item a term and what it means. */
export interface HelpList {
  title: string;
  items: { term: string; text: string }[];
}

export interface CliCommand {
  /** The words that name it: ["token", "create"]; [] for the program itself. */
  path: string[];
  /** `spire token create [options]`. */
  usage: string;
  description: string;
  arguments: CliArgument[];
  options: CliOption[];
  /** Command lines shown under "Examples:", without their `$ `. */
  examples: string[];
  /** Paragraphs of the help text, each as its lines. */
  notes: string[][];
  lists: HelpList[];
  subcommands: CliCommand[];
}

export function describeCommand(command: Command, parents: string[] = []): CliCommand {
  const help = command.createHelp();
  const path = parents.length === 0 && command.parent === null ? [] : [...parents, command.name()];
  const text = parseHelpText(extraHelpText(command));
  const subcommands = help.visibleCommands(command).filter((sub) => command.commands.includes(sub));
  return {
    path,
    usage: help.commandUsage(command),
    description: command.description(),
    arguments: command.registeredArguments.map((argument) => ({
      name: argument.name(),
      description: argument.description,
      required: argument.required,
      variadic: argument.variadic,
      ...defaultOf(argument.defaultValue, argument.defaultValueDescription),
      ...(argument.argChoices ? { choices: argument.argChoices } : {}),
    })),
    // The help option is the same on every command: the reference lists it once, with the global options.
    options: help.visibleOptions(command).filter((option) => path.length === 0 || option.long !== "--help").map(describeOption),
    ...text,
    subcommands: subcommands.map((sub) => describeCommand(sub, path)),
  };
}

/** Every command, depth first, the program itself first. */
export function allCommands(root: CliCommand): CliCommand[] {
  return [root, ...root.subcommands.flatMap(allCommands)];
}

function describeOption(option: Option): CliOption {
  return {
    flags: option.flags,
    ...(option.long ? { long: option.long } : {}),
    ...(option.short ? { short: option.short } : {}),
    description: option.description,
    ...defaultOf(option.defaultValue, option.defaultValueDescription),
    ...(option.argChoices ? { choices: option.argChoices } : {}),
    ...(option.envVar ? { env: option.envVar } : {}),
  };
}

/** A default worth showing: a value, not the empty list a repeatable option starts from. */
function defaultOf(value: unknown, description: string | undefined): { default?: string } {
  if (description !== undefined) return { default: description };
  if (value === undefined || value === false || (Array.isArray(value) && value.length === 0)) return {};
  return { default: Array.isArray(value) ? value.join(", ") : String(value) };
}

/** What `--help` prints around commander's own part: the texts given to addHelpText. */
function extraHelpText(command: Command): string {
  let text = "";
  const context = { error: false, command, write: (chunk: string) => void (text += chunk) };
  // A command is an EventEmitter; addHelpText listens for these events, as outputHelp() emits them.
  const events = command as unknown as EventEmitter;
  for (const event of ["beforeHelp", "afterHelp"]) events.emit(event, context);
  if (command.parent === null) for (const event of ["beforeAllHelp", "afterAllHelp"]) events.emit(event, context);
  return text;
}

const TITLE = /^(\S.*):$/;
const EXAMPLE = /^\s+\$ (.*)$/;
const ITEM = /^\s+(\S+(?: \S+)*?)\s{2,}(\S.*)$/;
const CONTINUATION = /^\s{4,}(\S.*)$/;

/**
 * The help text in parts: "Examples:" (lines starting with `$ `), other
 * titled lists (a term, two spaces, its meaning; deeper lines continue it),
 * and paragraphs.
 */
export function parseHelpText(text: string): Pick<CliCommand, "examples" | "notes" | "lists"> {
  const examples: string[] = [];
  const notes: string[][] = [];
  const lists: HelpList[] = [];
  let list: HelpList | undefined;
  let paragraph: string[] | undefined;
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    if (line.trim() === "") {
      paragraph = undefined;
      return;
    }
    // A title stands on its own line, after a blank one, above indented lines; a paragraph's line may end in ':' too.
    const title = paragraph === undefined && /^\s/.test(lines[index + 1] ?? "") ? TITLE.exec(line) : null;
    if (title) {
      paragraph = undefined;
      list = title[1] === "Examples" ? undefined : { title: title[1]!, items: [] };
      if (list) lists.push(list);
      return;
    }
    const example = EXAMPLE.exec(line);
    if (example && list === undefined) {
      examples.push(example[1]!);
      return;
    }
    const last = list?.items.at(-1);
    const continued = last ? CONTINUATION.exec(line) : null;
    const item = list && !continued ? ITEM.exec(line) : null;
    if (item) list!.items.push({ term: item[1]!, text: item[2]! });
    else if (continued) last!.text += ` ${continued[1]!}`;
    else {
      list = undefined;
      if (!paragraph) notes.push((paragraph = []));
      paragraph.push(line.trim());
    }
  });
  return { examples, notes, lists };
}
