/**
 * The reference manual is generated from the source (the schema, the
 * commands, the routes): the committed files must be what the source
 * generates now, every key of the definitions format must say what it does
 * and show how it is written, and the links inside must lead somewhere.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildProgram } from "../../src/cli/main.js";
import { EXIT } from "../../src/cli/errors.js";
import { allCommands, describeCommand, parseHelpText } from "../../src/docs/cli-model.js";
import { cliReference } from "../../src/docs/cli-reference.js";
import { REFERENCE_FILES } from "../../src/docs/reference-files.js";
import type { JsonSchema } from "../../src/docs/schema-types.js";
import { buildJsonSchema } from "../../src/definitions/json-schema.js";
import { spireFileSchema } from "../../src/definitions/schema.js";
import { schemaAt } from "../../src/definitions/schema-walk.js";
import type { PathSegment } from "../../src/definitions/errors.js";
import { REPO_ROOT } from "../helpers/cli.js";

test("each reference file is what its source generates now (run `npm run docs` after changing the schema, a command or a route)", () => {
  const stale = REFERENCE_FILES.filter((file) => {
    const path = join(REPO_ROOT, file.path);
    return !existsSync(path) || readFileSync(path, "utf8") !== file.generate();
  }).map((file) => file.path);
  assert.deepEqual(stale, []);
});

interface Key {
  /** Where it is, as an error message would say it: pipelines.<pipeline>.tasks.<task>.timeout. */
  where: string;
  /** A path to it in a document, for schemaAt. */
  segments: PathSegment[];
  schema: JsonSchema;
}

/** Every property of every object of the JSON Schema, nested ones too, each named definition walked once. */
function keysOf(root: JsonSchema & { $defs?: Record<string, JsonSchema> }): Key[] {
  const keys: Key[] = [];
  const walked = new Set<string>();
  const visit = (schema: JsonSchema, where: string, segments: PathSegment[]) => {
    if (schema.$ref !== undefined) {
      if (walked.has(schema.$ref)) return;
      walked.add(schema.$ref);
      visit(root.$defs![schema.$ref.replace("#/$defs/", "")]!, where, segments);
      return;
    }
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const key = { where: where === "" ? name : `${where}.${name}`, segments: [...segments, name], schema: property };
      keys.push(key);
      visit(property, key.where, key.segments);
    }
    for (const branch of schema.anyOf ?? schema.oneOf ?? []) visit(branch, where, segments);
    if (schema.items !== undefined) visit(schema.items, `${where}[]`, [...segments, 0]);
    if (typeof schema.additionalProperties === "object") visit(schema.additionalProperties, `${where}.<name>`, [...segments, "x"]);
  };
  visit(root, "", []);
  return keys;
}

test("every key of the definitions format has a description and an example, as an editor shows them on hover", () => {
  const keys = keysOf(buildJsonSchema() as JsonSchema);
  assert.ok(keys.length > 100, `found only ${keys.length} keys: the walk is broken`);
  const undescribed = keys.filter((key) => (key.schema.description ?? "").trim() === "").map((key) => key.where);
  assert.deepEqual(undescribed, [], "keys without a description");
  const withoutExample = keys.filter((key) => (key.schema.examples ?? []).length === 0).map((key) => key.where);
  assert.deepEqual(withoutExample, [], "keys without an example");
  // Short enough to read on hover.
  const long = keys.filter((key) => (key.schema.description ?? "").length > 500).map((key) => key.where);
  assert.deepEqual(long, [], "descriptions longer than 500 characters");
});

test("every example and default of a key is a value that key accepts", () => {
  const problems: string[] = [];
  for (const key of keysOf(buildJsonSchema() as JsonSchema)) {
    const schema = schemaAt(spireFileSchema, key.segments);
    if (schema === undefined) {
      problems.push(`${key.where}: not found in the zod schema`);
      continue;
    }
    const values = [...(key.schema.examples ?? []), ...(key.schema.default !== undefined ? [key.schema.default] : [])];
    for (const value of values) {
      const parsed = schema.safeParse(value);
      if (!parsed.success) problems.push(`${key.where}: ${JSON.stringify(value)}: ${parsed.error.issues[0]?.message}`);
    }
  }
  assert.deepEqual(problems, []);
});

test("the command line reference takes in a command added to the program, with its options, defaults, examples and notes", () => {
  const program = buildProgram();
  program
    .command("frobnicate")
    .description("a command added later")
    .argument("<thing>", "what to frobnicate")
    .option("--depth <n>", "how deep", "3")
    .addHelpText("after", "\nExamples:\n  $ spire frobnicate widget --depth 4\n\nA note that ends in a colon:\nand goes on.\n");
  const text = cliReference(program);
  const section = text.slice(text.indexOf("## `spire frobnicate`"));
  assert.ok(text.includes("- [`spire frobnicate`](#spire-frobnicate): a command added later"), "listed in the contents, linked");
  assert.match(section, /\| `thing` \| what to frobnicate; required \|/);
  assert.match(section, /\| `--depth <n>` \| how deep \| `3` \|/);
  assert.match(section, /```sh\nspire frobnicate widget --depth 4\n```/);
  assert.match(section, /A note that ends in a colon: and goes on\./);
});

test("the exit codes that spire --help lists are the ones the CLI uses, and the man page lists each", () => {
  const root = describeCommand(buildProgram());
  const listed = root.lists.find((list) => list.title === "Exit codes")?.items.map((item) => Number(item.term));
  assert.deepEqual(listed, Object.values(EXIT).sort((a, b) => a - b));
  const man = readFileSync(join(REPO_ROOT, "man/spire.1"), "utf8");
  const status = man.slice(man.indexOf(".SH EXIT STATUS"), man.indexOf(".SH ENVIRONMENT"));
  for (const code of Object.values(EXIT)) assert.match(status, new RegExp(`^\\\\fB${code}\\\\fR$`, "m"));
});

test("help text: examples, titled lists with continued lines, and paragraphs whose line ends in a colon", () => {
  const parsed = parseHelpText(
    ["", "Examples:", "  $ spire ls", "  $ spire ls --json", "", "A task is its path:", "dump or checks/size.", "", "Codes:", "  0    fine", "  2    bad usage,", "       or refused", ""].join("\n"),
  );
  assert.deepEqual(parsed.examples, ["spire ls", "spire ls --json"]);
  assert.deepEqual(parsed.notes, [["A task is its path:", "dump or checks/size."]]);
  assert.deepEqual(parsed.lists, [{ title: "Codes", items: [{ term: "0", text: "fine" }, { term: "2", text: "bad usage, or refused" }] }]);
});

test("every command of the program is in the command line reference and the man page", () => {
  const cli = readFileSync(join(REPO_ROOT, "docs/reference/cli.md"), "utf8");
  const man = readFileSync(join(REPO_ROOT, "man/spire.1"), "utf8");
  const commands = allCommands(describeCommand(buildProgram())).slice(1);
  assert.ok(commands.length > 20);
  for (const command of commands) {
    const name = ["spire", ...command.path].join(" ");
    assert.ok(cli.includes(`## \`${name}\``), `${name} in cli.md`);
    assert.ok(man.includes(`.SS "${name.replace(/-/g, "\\-")}`), `${name} in spire.1`);
  }
});

/** GitHub's anchors for a Markdown file's headings (outside code blocks), with -1, -2… for repeats. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, "");
  for (const [, heading] of withoutCode.matchAll(/^#{1,6} (.*)$/gm)) {
    const base = heading!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

test("every link in the reference leads to a heading of its file or to a file that exists, and none cites a file users do not have", () => {
  const problems: string[] = [];
  for (const file of REFERENCE_FILES.filter((entry) => entry.path.endsWith(".md"))) {
    const text = readFileSync(join(REPO_ROOT, file.path), "utf8");
    const anchors = anchorsOf(text);
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (target!.startsWith("#")) {
        if (!anchors.has(target!.slice(1))) problems.push(`${file.path}: no heading for ${target}`);
      } else if (!/^https?:/.test(target!) && !existsSync(join(REPO_ROOT, dirname(file.path), target!.split("#")[0]!))) {
        problems.push(`${file.path}: no file ${target}`);
      }
    }
  }
  assert.deepEqual(problems, []);
  for (const file of REFERENCE_FILES) assert.doesNotMatch(readFileSync(join(REPO_ROOT, file.path), "utf8"), /SPEC|DESIGN\.md|§|\.\.\/shared|\/work\//, file.path);
});
