/**
 * docs/reference/cli.md: every command of the `spire` program with its usage,
 * arguments, options and defaults, examples and notes, read from the same
 * commander objects that parse the command line (see cli-model.ts).
 */
import type { Command } from "commander";
import { allCommands, describeCommand, type CliCommand, type CliOption } from "./cli-model.js";
import { DATA_FILES, ENVIRONMENT, TASK_ENVIRONMENT } from "./environment.js";
import { code, generatedNote, Headings, paragraph, prose, table } from "./markdown.js";

export function commandName(command: CliCommand): string {
  return ["spire", ...command.path].join(" ");
}

function optionRows(options: readonly CliOption[]): string[][] {
  return options.map((option) => {
    const notes = [option.choices ? `one of ${option.choices.map(code).join(", ")}` : "", option.env ? `also from ${code(option.env)}` : ""].filter(Boolean);
    return [code(option.flags), [prose(option.description), ...notes].join("; "), option.default === undefined ? "" : code(option.default)];
  });
}

function commandSection(command: CliCommand, headingLine: string): string[] {
  const out = [headingLine, ...(command.path.length > 0 ? [prose(capitalised(command.description))] : []), `\`\`\`sh\n${command.usage}\n\`\`\``];
  if (command.arguments.length > 0) {
    out.push(
      table(
        ["argument", "description", "default"],
        command.arguments.map((argument) => [
          code(`${argument.name}${argument.variadic ? "..." : ""}`),
          [prose(argument.description), argument.required ? "required" : "", argument.choices ? `one of ${argument.choices.map(code).join(", ")}` : ""].filter(Boolean).join("; "),
          argument.default === undefined ? "" : code(argument.default),
        ]),
      ),
    );
  }
  if (command.options.length > 0) out.push(table(["option", "description", "default"], optionRows(command.options)));
  if (command.subcommands.length > 0) out.push(command.subcommands.map((sub) => `- ${code(commandName(sub))}: ${prose(sub.description)}`).join("\n"));
  if (command.examples.length > 0) out.push(`Examples:\n\n\`\`\`sh\n${command.examples.join("\n")}\n\`\`\``);
  for (const note of command.notes) out.push(paragraph(note));
  for (const list of command.lists) out.push(`${prose(list.title)}:\n\n${table([list.title.toLowerCase().replace(/s$/, ""), "meaning"], list.items.map((item) => [code(item.term), prose(item.text)]))}`);
  return out;
}

export function cliReference(program: Command): string {
  const root = describeCommand(program);
  const commands = allCommands(root).slice(1);
  const headings = new Headings();
  const title = headings.add(1, "The command line");
  const rootHeading = headings.add(2, "Global options and exit codes");
  const sections = commands.map((command) => ({ command, heading: headings.add(command.path.length === 1 ? 2 : 3, code(commandName(command))) }));
  const environment = headings.add(2, "Environment");
  const files = headings.add(2, "Files");

  const out = [
    title.line,
    generatedNote("the commands' own definitions in src/cli/main.ts (what --help prints)"),
    prose(`${capitalised(root.description)} Every command takes --help, which prints what this page says about it.`),
    [
      `- [Global options and exit codes](#${rootHeading.anchor})`,
      ...sections.map(({ command, heading }) => `${"  ".repeat(command.path.length - 1)}- [${code(commandName(command))}](#${heading.anchor}): ${prose(command.description)}`),
      `- [Environment](#${environment.anchor})`,
      `- [Files](#${files.anchor})`,
    ].join("\n"),
    ...commandSection({ ...root, subcommands: [] }, rootHeading.line),
  ];
  for (const { command, heading } of sections) out.push(...commandSection(command, heading.line));
  out.push(environment.line, table(["variable", "meaning"], ENVIRONMENT.map((entry) => [code(entry.name), prose(entry.text)])));
  out.push(prose("Spire sets these in the environment of every task attempt:"), table(["variable", "meaning"], TASK_ENVIRONMENT.map((entry) => [code(entry.name), prose(entry.text)])));
  out.push(
    files.line,
    prose("The data folder (--data, SPIRE_DATA, or $XDG_DATA_HOME/spire, or ~/.local/share/spire) holds everything Spire keeps, private to its user (folders 0700, files 0600):"),
    table(["path", "what it is"], DATA_FILES.map((entry) => [code(entry.name), prose(entry.text)])),
  );
  return `${out.join("\n\n")}\n`;
}

/** A description as a sentence; one that starts with a name such as watch(1) keeps its case. */
export function capitalised(text: string): string {
  const sentence = /^\S+\(\d\)/.test(text) ? text : text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}
