import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { readPlainYaml } from "../../src/definitions/yaml-plain.js";
import { readYaml } from "../../src/definitions/yaml-source.js";
import { pipelineSources } from "../../src/definitions/pipeline-source.js";
import { REPO_ROOT } from "../helpers/cli.js";

/** The reader of record's data for `text`: yaml's Document, read as yaml-source.ts reads it. */
function documentValue(text: string): unknown {
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false, merge: true, strict: true });
  return docs[0]?.toJS({ maxAliasCount: 100 }) ?? null;
}

describe("the quick read of plain YAML", () => {
  test("plain scalars resolve as the core schema says, exactly as yaml's Document does", () => {
    const scalars = [
      "1", "-1", "+1", "007", "-0", "0o17", "0x1F", "0xff", "0b101", "-0x1F", "+0o7", "1_000", "0x", "0o8",
      "1.5", ".5", "-.5", "+.5", "1.", "1e3", "1E-3", "-1.5e+3", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", ".NAN", "inf", "nan", "1.2.3",
      "true", "True", "TRUE", "false", "False", "FALSE", "yes", "no", "on", "off", "y", "tRUE",
      "~", "null", "Null", "NULL", "nULL", "", "2024-01-01", "2024-01-01T10:00:00Z", "12:30", "1:20:30",
      "'1'", '"true"', "'~'", "\"0x1F\"",
    ];
    const text = scalars.map((scalar, index) => `k${index}: ${scalar}`).join("\n") + "\n";
    const plain = readPlainYaml(text);
    assert.ok(plain, "the file is plain YAML");
    assert.deepEqual(plain.value, documentValue(text));
    // A few that the two parsers' own core schemas read differently, pinned:
    const value = plain.value as Record<string, unknown>;
    assert.equal(value[`k${scalars.indexOf("0b101")}`], "0b101");
    assert.equal(value[`k${scalars.indexOf("-0x1F")}`], "-0x1F");
    assert.equal(value[`k${scalars.indexOf("1_000")}`], "1_000");
    assert.equal(value[`k${scalars.indexOf("-.5")}`], -0.5);
    assert.equal(value[`k${scalars.indexOf("2024-01-01")}`], "2024-01-01");
  });

  test("strings, block scalars, flow collections and comments read as the Document reads them", () => {
    const text = [
      "namespace: home # a comment",
      "pipelines:",
      "  backup:",
      "    description: >-",
      "      folded",
      "      text",
      "    tasks:",
      "      archive:",
      "        run: |",
      "          tar -czf out.tgz \"$HOME\" # not a comment",
      "          # still the script",
      "",
      "          echo done",
      "        env: { A: \"x\\ty\", B: 'it''s', C: [1, two, 3.0] }",
      "      - not: a key",
    ].join("\n");
    // The last line is a syntax error: left to the reader of record.
    assert.equal(readPlainYaml(text), undefined);
    const valid = text.split("\n").slice(0, -1).join("\n") + "\n";
    assert.deepEqual(readPlainYaml(valid)?.value, documentValue(valid));
  });

  test("what only the reader of record reads right is left to it", () => {
    const leftToIt: Record<string, string> = {
      "an alias of a collection": "a: &x { b: 1 }\nc: *x\n",
      "a merge key": "base: &b { x: 1 }\nuse: { <<: *b, y: 2 }\n",
      "a literal << key": "'<<': 1\n",
      "__proto__": "__proto__: { polluted: true }\n",
      "a duplicate key": "a: 1\na: 2\n",
      "a second document": "a: 1\n---\nb: 2\n",
      "a tag": "a: !Job x\n",
      "a timestamp tag": "a: !!timestamp 2024-01-01\n",
      "a syntax error": "a: [1, 2\n",
      "an unknown alias": "a: *nothing\n",
      "a YAML 1.1 directive": "%YAML 1.1\n---\na: yes\n",
      "a null key": "env: { ~: a }\n",
      "a key named null": "null: a\n",
      "a flow sequence as a key": "[a, b]: c\n",
      "a flow mapping as a key": "m:\n  - {a: 1}: c\n",
      "an explicit key": "? [a]\n: c\n",
    };
    for (const [what, text] of Object.entries(leftToIt)) assert.equal(readPlainYaml(text), undefined, what);
    // Aliases of scalars are copies: nothing to bound.
    assert.deepEqual(readPlainYaml("a: &x 5\nb: *x\n")?.value, { a: 5, b: 5 });
  });

  test("on thousands of broken and mended copies of the project's YAML files, it reads what the Document reads, or leaves it", () => {
    const files = ["examples", "templates", "test/fixtures"].flatMap((folder) => yamlFiles(join(REPO_ROOT, folder)));
    const texts = files.map((file) => readFileSync(file, "utf8")).filter((text) => text.length < 20_000);
    assert.ok(texts.length > 20, `only ${texts.length} YAML files found`);
    // A fixed seed: the same copies every run (a failure names its text).
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const inserts = [":", " ", "- ", "#", "'", '"', "[", "]", "{", "}", ",", "\n", "  ", "&a ", "*a", "!", "|", ">", "?", "\t", "~", "0x1", "yes", "1_0", "--- ", "...", "%", "<<: "];
    let readQuickly = 0;
    for (let copy = 0; copy < 3000; copy++) {
      let text = pick(texts);
      for (let change = 0, changes = 1 + Math.floor(random() * 3); change < changes; change++) {
        const at = Math.floor(random() * text.length);
        const how = random();
        if (how < 0.4) text = text.slice(0, at) + pick(inserts) + text.slice(at);
        else if (how < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 3));
        else {
          const lines = text.split("\n");
          const line = Math.floor(random() * lines.length);
          lines[line] = (random() < 0.5 ? " " : "") + lines[line]!.replace(/^ /, random() < 0.5 ? "" : " ");
          text = lines.join("\n");
        }
      }
      const plain = readPlainYaml(text);
      if (plain === undefined) continue;
      readQuickly++;
      const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false, merge: true, strict: true });
      const doc = docs[0];
      if (doc === undefined) {
        assert.equal(plain.value ?? null, null, text);
        continue;
      }
      const problems = [...doc.errors, ...doc.warnings.filter((warning) => warning.code === "TAG_RESOLVE_FAILED")];
      assert.deepEqual(problems.map((problem) => problem.message), [], `read quickly, but the Document finds problems in:\n${text}`);
      assert.equal(docs.length, 1, text);
      assert.deepEqual(plain.value ?? null, doc.toJS({ maxAliasCount: 100 }) ?? null, text);
    }
    assert.ok(readQuickly > 1000, `only ${readQuickly} copies read quickly`);
  });

  test("readYaml answers alike either way, positions included, built only when asked for", () => {
    const text = "pipelines:\n  p:\n    tasks:\n      t: { run: echo hi }\n";
    const read = readYaml(text, "spire.yaml");
    assert.deepEqual(read.errors, []);
    assert.deepEqual(read.value, documentValue(text));
    assert.deepEqual(read.map.locate(["pipelines", "p", "tasks", "t", "run"]).position, { line: 4, column: 17 });
    const broken = readYaml("pipelines:\n  p:\n    tasks: [\n", "spire.yaml");
    assert.equal(broken.wellFormed, false);
    assert.ok(broken.errors.length > 0 && broken.errors.every((error) => error.line >= 1));
  });
});

describe("each pipeline's own lines", () => {
  const names = (text: string) => Object.keys((documentValue(text) as { pipelines: object }).pipelines);

  test("from its name to its last line, with the comments under it and inside its block scalars", () => {
    const text = [
      "namespace: x",
      "pipelines:",
      "  a:",
      "    tasks:",
      "      t: { run: echo }   # trailing",
      "      # u: { run: commented out }",
      "",
      "    # about b, after a blank line",
      "  # about b",
      "  \"b\":",
      "    description: |",
      "      hello",
      "",
      "      # a line of the text",
      "# a comment at the margin",
      "  '7':",
      "    tasks: { x: { run: y } }",
      "other: 1",
    ].join("\n");
    const sources = pipelineSources(text, "f.yaml", names(text));
    assert.deepEqual([...sources.keys()], ["a", "b", "7"]);
    assert.deepEqual(sources.get("a"), { file: "f.yaml", line: 3, text: "a:\n  tasks:\n    t: { run: echo }   # trailing\n    # u: { run: commented out }" });
    assert.deepEqual(sources.get("b"), { file: "f.yaml", line: 10, text: "\"b\":\n  description: |\n    hello\n\n    # a line of the text" });
    assert.deepEqual(sources.get("7"), { file: "f.yaml", line: 16, text: "'7':\n  tasks: { x: { run: y } }" });
  });

  test("none where the lines do not say which are whose", () => {
    const none = [
      "pipelines: { a: { tasks: { t: { run: x } } } }\n",
      "{ \"pipelines\": { \"a\": { \"tasks\": { \"t\": { \"run\": \"x\" } } } } }\n",
      "pipelines:\n  a: &shared\n    tasks: { t: { run: x } }\n  ? b\n  : tasks: { t: { run: y } }\n",
    ];
    for (const text of none) assert.equal(pipelineSources(text, "f.yaml", names(text)).size, 0, text);
    // Names that are not the file's (a caller's mistake): nothing rather than the wrong lines.
    assert.equal(pipelineSources("pipelines:\n  a:\n    tasks: {}\n", "f.yaml", ["b"]).size, 0);
  });
});

function yamlFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}
