/** What `spire show` prints of a task's warning and error texts (src/cli/render/messages.ts, pure). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { stripVTControlCharacters } from "node:util";
import { messageLines } from "../../src/cli/render/messages.js";
import type { MessageObject, RunObject } from "../../src/engine/reads/run-object.js";
import { renderRun } from "../../src/cli/commands/show.js";

const at = "2026-12-05T08:00:00.000Z";
const warning = (text: string): MessageObject => ({ level: "warning", text, ts: at, stream: "stdout" });
const error = (text: string): MessageObject => ({ level: "error", text, ts: at, stream: "stderr" });
const plain = (lines: string[]) => lines.map(stripVTControlCharacters);

test("each text on its own line, marked by its level, in order, under the task", () => {
  const lines = messageLines({ messages: [warning("disk almost full"), error("mirror unreachable")], warnings: 1, errors: 1 });
  assert.deepEqual(plain(lines), ["    ⚠ disk almost full", "    ✗ mirror unreachable"]);
});

test("no texts, no lines", () => {
  assert.deepEqual(messageLines({ messages: [], warnings: 0, errors: 0 }), []);
});

test("beyond the limit, one line says how many more and where to see them", () => {
  const messages = Array.from({ length: 13 }, (_, i) => warning(`w${i + 1}`));
  const lines = plain(messageLines({ messages, warnings: 13, errors: 0 }, { limit: 3, indent: "  ", runId: "01abc" }));
  assert.deepEqual(lines, ["  ⚠ w1", "  ⚠ w2", "  ⚠ w3", "  … 10 more in spire show 01abc --json"]);
});

test("counted but not kept: says how many of each kind, and that the log has them", () => {
  const messages = [...Array.from({ length: 100 }, (_, i) => warning(`w${i + 1}`)), error("e1")];
  const lines = plain(messageLines({ messages, warnings: 150, errors: 2 }, { limit: 1 }));
  assert.deepEqual(lines, [
    "    ⚠ w1",
    "    … 100 more in spire show RUN --json",
    "    50 more warnings and 1 more error not kept: only the first 100 of each kind are (the log has them all)",
  ]);
});

test("more counted than kept, below the limit (a parser's tool gave its totals): says they were counted without texts", () => {
  const lines = plain(messageLines({ messages: [warning("w1")], warnings: 3, errors: 0 }));
  assert.deepEqual(lines, ["    ⚠ w1", "    2 more warnings counted without a text of their own, from a tool's totals (the log has them all)"]);
});

test("control characters in a text are shown, not obeyed: a text stays on its line and cannot move the cursor", () => {
  const lines = plain(messageLines({ messages: [warning("one\rtwo \u001b[2Jthree\tfour")], warnings: 1, errors: 0 }));
  assert.deepEqual(lines, ["    ⚠ one␍two ␛[2Jthree\tfour"]);
});

test("the run's counts read as words: one warning is 1 warning, and a count of none is left out", () => {
  const run = (warnings: number, errors: number): RunObject => ({
    id: "01abc",
    namespace: "home",
    pipeline: "report",
    state: "succeeded",
    reason: null,
    seed: 7,
    trigger: { kind: "manual", scheduled_at: null },
    args: {},
    partition: null,
    created_at: at,
    started_at: at,
    finished_at: at,
    duration_ms: 5,
    warnings,
    errors,
    metrics: {},
    cpu_ms: null,
    peak_rss_bytes: null,
    tasks: [],
    groups: [],
  });
  const countLine = (warnings: number, errors: number) => plain(renderRun(run(warnings, errors), undefined).split("\n"))[2];
  assert.equal(countLine(1, 0), "1 warning");
  assert.equal(countLine(0, 1), "1 error");
  assert.equal(countLine(2, 3), "2 warnings, 3 errors");
  assert.equal(countLine(0, 0), "");
});
