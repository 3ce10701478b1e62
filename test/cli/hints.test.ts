/**
 * Every command line that Spire's messages, hints and help suggest ("Start it
 * with: spire engine", "spire token create --scope admin") names a command
 * and options that exist: a hint that cannot be followed is worse than none.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { buildProgram } from "../../src/cli/main.js";
import { REPO_ROOT } from "../helpers/cli.js";

/** Words after "spire " that are prose, not a command line ("the spire supervisor: …"). */
const PROSE = new Set(["supervisor", "process", "is", "has", "the"]);

/** The files under `folder` whose names end in one of `endings`, in sub-folders too. */
function sources(folder: string, endings = [".ts"]): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    return entry.isDirectory() ? sources(path, endings) : endings.some((ending) => entry.name.endsWith(ending)) ? [path] : [];
  });
}

/** Each `spire WORD …` in the code's strings and in the user docs, up to the end of its line or quote. */
function suggestions(): { where: string; words: string[] }[] {
  const found: { where: string; words: string[] }[] = [];
  const files = [...sources(join(REPO_ROOT, "src")), join(REPO_ROOT, "README.md"), ...sources(join(REPO_ROOT, "docs"), [".md"])];
  for (const file of files) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((line, index) => {
      // Code comments are for developers; the strings and the docs are for users.
      if (file.endsWith(".ts") && /^\s*(\/\/|\*|\/\*\*)/.test(line)) return;
      for (const match of line.matchAll(/(?<![\w/.-])spire ([a-z][a-z-]*)([^"'`()|;\\]*)/g)) {
        if (PROSE.has(match[1]!)) continue;
        found.push({ where: `${file.slice(REPO_ROOT.length)}:${index + 1}`, words: [match[1]!, ...match[2]!.trim().split(/\s+/).filter(Boolean)] });
      }
    });
  }
  return found;
}

function optionNames(command: Command): string[] {
  return command.options.flatMap((option) => [option.long, option.short].filter((name): name is string => name !== undefined));
}

test("every spire command line in messages, hints, help and docs names a command and options that exist", () => {
  const program = buildProgram();
  const globalOptions = [...optionNames(program), "--help", "-h"];
  const problems: string[] = [];
  const seen = suggestions();
  assert.ok(seen.length > 100, `found only ${seen.length} suggestions: the scan is broken`);
  for (const { where, words } of seen) {
    let command = program.commands.find((candidate) => candidate.name() === words[0]);
    if (!command) {
      problems.push(`${where}: spire ${words[0]} is not a command`);
      continue;
    }
    const sub = command.commands.find((candidate) => candidate.name() === words[1]);
    if (command.commands.length > 0 && sub) command = sub;
    for (const word of words.slice(1)) {
      if (word === "--") break;
      const option = /^(--?[a-zA-Z][\w-]*)/.exec(word)?.[1];
      if (option && !optionNames(command).includes(option) && !globalOptions.includes(option)) problems.push(`${where}: spire ${command.name()} has no option ${option}`);
    }
  }
  assert.deepEqual(problems, []);
});

test("no --help text cites a file users do not have", () => {
  const program = buildProgram();
  const texts: string[] = [];
  const collect = (command: Command) => {
    // outputHelp, not helpInformation: only it includes the text added after the options (examples, notes).
    let text = "";
    command.configureOutput({ writeOut: (chunk) => void (text += chunk), writeErr: (chunk) => void (text += chunk) });
    command.outputHelp();
    texts.push(text);
    command.commands.forEach(collect);
  };
  collect(program);
  assert.ok(texts.length > 20 && texts.every((text) => text.includes("Usage:")), "every command's help was read");
  assert.ok(texts.some((text) => text.includes("Examples:")), "with the text added after the options");
  for (const text of texts) assert.doesNotMatch(text, /SPEC|DESIGN\.md|§|\.\.\/shared/, text.split("\n")[0]);
});
