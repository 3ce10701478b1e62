/** "Quote the whole value": the fixed line it shows is right, and it is shown only where quoting is the fix. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatDefinitionErrors, parseDefinitions } from "../../src/definitions/load.js";

const fileWith = (line: string) => `pipelines:\n  p:\n    tasks:\n      a:\n        ${line}\n        timeout: 5s\n`;

function quoteHints(text: string): string[] {
  const result = parseDefinitions(text, "spire.yaml");
  if (result.ok) return [];
  return result.errors.flatMap((error) => (error.hint?.match(/quote the whole value: (.*)$/) ? [error.hint.replace(/^.*quote the whole value: /, "")] : []));
}

test("the fixed line, put in place of the broken one, reads as the command that was written", () => {
  let hinted = 0;
  const piece = fc.constantFrom("echo", "a: b", "ALERT:", "x", '"q"', "'s'", "\\n", "[ -f x ]", "&&", "*.log", "@", "`date`", "{x}", "- y", "> out", "| cat", "%", "it's", ":", "#1", ",");
  fc.assert(
    fc.property(fc.array(piece, { minLength: 1, maxLength: 5 }), (pieces) => {
      const command = pieces.join(" ");
      for (const fixed of quoteHints(fileWith(`run: ${command}`))) {
        hinted++;
        const again = parseDefinitions(fileWith(fixed), "spire.yaml");
        assert.ok(again.ok, `${fixed}\n${again.ok ? "" : formatDefinitionErrors(again.errors)}`);
        assert.equal(again.file.pipelines["p"]!.tasks["a"]!.run, command, fixed);
      }
    }),
    { numRuns: 200 },
  );
  assert.ok(hinted > 30, `only ${hinted} of 200 commands got a hint`);
});

test("one hint per broken line, even when YAML finds several errors on it", () => {
  const result = parseDefinitions(fileWith("run: [ -f /tmp/flag ] && echo flagged"), "spire.yaml");
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(formatDefinitionErrors(result.errors), 'spire.yaml:5:31  pipelines.p.tasks.a.run: YAML syntax: unexpected anchor at node end — quote the whole value: run: "[ -f /tmp/flag ] && echo flagged"');
});

test("no quoting hint where quoting is not the fix: an unclosed list, a value going on below, a list meant as one", () => {
  assert.deepEqual(quoteHints(fileWith("run: echo a: b")), ['run: "echo a: b"'], "where it is, it is given");
  assert.deepEqual(quoteHints(fileWith("exec: [echo, hi")), []);
  assert.deepEqual(quoteHints("pipelines:\n  p:\n    tasks:\n      a:\n        run: echo a: b\n          and more\n"), []);
  const list = parseDefinitions(fileWith("exec: [echo, hi]"), "spire.yaml");
  assert.ok(list.ok, list.ok ? "" : formatDefinitionErrors(list.errors));
  assert.deepEqual(quoteHints(fileWith("exec: {a: 1}")), [], "exec wants a list: quoting a mapping would not help");
});

test("run: given a program and its arguments as a list points at exec, in block and flow style; a shell test [ … ] is still quoted", () => {
  const hints = (text: string) => {
    const result = parseDefinitions(text, "spire.yaml");
    return result.ok ? [] : result.errors.map((error) => `${error.keyPath}: ${error.hint ?? ""}`);
  };
  assert.deepEqual(hints(fileWith("run: [python3, script.py, --verbose]")), ["pipelines.p.tasks.a.run: a program and its arguments, run without a shell, go in exec (not run): exec: [python3, script.py, --verbose]"]);
  assert.deepEqual(hints("pipelines:\n  p:\n    tasks:\n      a: { run: [echo, hi] }\n"), ["pipelines.p.tasks.a.run: a program and its arguments, run without a shell, go in exec (not run): exec: [echo, hi]"]);
  assert.deepEqual(hints("pipelines:\n  p:\n    tasks:\n      a:\n        run:\n          - python3\n          - x.py\n"), ["pipelines.p.tasks.a.run: a program and its arguments, run without a shell, go in exec (not run): exec: [PROGRAM, ARG, …]"]);
  assert.deepEqual(quoteHints(fileWith("run: [ -f /tmp/flag ]")), ['run: "[ -f /tmp/flag ]"']);
});
