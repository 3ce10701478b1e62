import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { MetricAggregator, parseMarker } from "../../src/exec/markers.js";
import { parseOutputFile } from "../../src/exec/output-file.js";
import { Masker } from "../../src/exec/masking.js";
import { formatDuration } from "../../src/exec/attempt.js";
import { parseProcStat } from "../../src/exec/process-tree.js";

describe("markers", () => {
  test("warning and error, with GitHub-style properties", () => {
    assert.deepEqual(parseMarker("::warning::disk almost full"), { kind: "warning", text: "disk almost full" });
    assert.deepEqual(parseMarker("::warning file=a.py,line=3::look here"), { kind: "warning", text: "look here" });
    assert.deepEqual(parseMarker("  ::error::boom"), { kind: "error", text: "boom" });
    assert.deepEqual(parseMarker("::error::a::b"), { kind: "error", text: "a::b" });
  });

  test("metric, progress, output, add-mask", () => {
    assert.deepEqual(parseMarker("::metric::rows=42.5"), { kind: "metric", name: "rows", value: 42.5 });
    assert.equal(parseMarker("::metric::rows=many"), undefined);
    assert.equal(parseMarker("::metric::=3"), undefined);
    assert.deepEqual(parseMarker("::progress::3/10"), { kind: "progress", done: 3, total: 10 });
    assert.deepEqual(parseMarker("::progress::40%"), { kind: "progress", done: 40, total: 100 });
    assert.equal(parseMarker("::progress::x/10"), undefined);
    assert.deepEqual(parseMarker("::output::size=4=2"), { kind: "output", key: "size", value: "4=2" });
    assert.deepEqual(parseMarker("::set-output name=size::7"), { kind: "output", key: "size", value: "7" });
    assert.equal(parseMarker("::output::bad key=1"), undefined);
    assert.deepEqual(parseMarker("::add-mask::s3cr3t"), { kind: "add-mask", value: "s3cr3t" });
  });

  test("ordinary lines are not markers", () => {
    for (const line of ["warning: x", ":: warning::x", "::unknown::x", "::warning", ""]) assert.equal(parseMarker(line), undefined, line);
  });

  test("metrics aggregate min, max, mean, sum, count per name", () => {
    const metrics = new MetricAggregator();
    for (const value of [4, -2, 10]) metrics.add("t", value);
    metrics.add("one", 7);
    assert.deepEqual(metrics.toRecord(), {
      t: { min: -2, max: 10, mean: 4, sum: 12, count: 3 },
      one: { min: 7, max: 7, mean: 7, sum: 7, count: 1 },
    });
  });
});

describe("SPIRE_OUTPUT file", () => {
  test("KEY=VALUE and KEY<<DELIM multi-line values", () => {
    const text = "a=1\r\nempty=\nmulti<<EOF\nline one\n\nline=three\nEOF\nb= spaced \n";
    assert.deepEqual(parseOutputFile(text), {
      outputs: { a: "1", empty: "", multi: "line one\n\nline=three", b: " spaced " },
      problems: [],
    });
  });

  test("problems name the line", () => {
    const { outputs, problems } = parseOutputFile("ok=1\nnonsense\nx<<END\nnever closed\n");
    assert.deepEqual(outputs, { ok: "1" });
    assert.deepEqual(problems, ["line 2: expected KEY=VALUE or KEY<<DELIMITER", 'line 3: x<<END is not closed by a line "END"']);
  });
});

describe("masking", () => {
  test("exact values of 4+ characters, longest first, multi-line secrets line by line", () => {
    const masker = new Masker(["abc", "token", "token-long", "first\nsecond"]);
    assert.equal(masker.mask("abc token-long token"), "abc *** ***");
    assert.equal(masker.mask("the first line"), "the *** line");
    assert.equal(masker.mask("second"), "***");
    assert.equal(new Masker([]).active, false);
  });
});

test("formatDuration reads like a person wrote it", () => {
  assert.equal(formatDuration(2000), "2s");
  assert.equal(formatDuration(250), "250ms");
  assert.equal(formatDuration(1500), "1.5s");
  assert.equal(formatDuration(90_000), "1m30s");
  assert.equal(formatDuration(7_200_000), "2h");
});

test("parseProcStat copes with spaces and parentheses in the command name", () => {
  const stat = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 987654 0 0";
  assert.deepEqual(parseProcStat(stat), { pid: 4242, state: "S", ppid: 1, pgid: 4242, startTime: "987654" });
});
