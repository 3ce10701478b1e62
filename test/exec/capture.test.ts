/** Output capture through real processes: streams, order, timestamps, markers, outputs, masking. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { readLog } from "../../src/logs/log-file.js";
import type { LogLine } from "../../src/exec/port.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { specFor } from "./fixtures.js";

checkNoLeftoverProcesses();
const executor = new LocalExecutor();

test("stdout and stderr are kept apart, in order, each line timestamped when read; the last partial line is kept", async (t) => {
  const dir = tempDir(t);
  // "four" waits for a gate opened 50 ms after "one" was read: it is certainly read later, however loaded the machine.
  const gate = join(dir, "gate");
  const spec = specFor(dir, ["sh", "-c", `echo one; echo two >&2; echo three; while [ ! -e '${gate}' ]; do sleep 0.01; done; echo four >&2; printf 'no newline'`]);
  const seen: LogLine[] = [];
  let startedPid = 0;
  const onLine = (line: LogLine) => {
    seen.push(line);
    if (line.line === "one") setTimeout(() => writeFileSync(gate, ""), 50);
  };
  const handle = executor.launch(spec, { onLine, onStart: (pid) => (startedPid = pid) });
  const report = await handle.done;
  assert.equal(report.state, "succeeded");
  assert.equal(report.exitCode, 0);
  assert.equal(startedPid, report.pid);
  const { lines } = await readLog(spec.logFile);
  assert.deepEqual(lines.filter((l) => l.stream === "stdout").map((l) => l.line), ["one", "three", "no newline"]);
  assert.deepEqual(lines.filter((l) => l.stream === "stderr").map((l) => l.line), ["two", "four"]);
  assert.deepEqual(seen, lines);
  assert.deepEqual(report.tail, lines);
  for (const line of lines) assert.ok(line.ts >= report.startedAt && line.ts <= report.finishedAt, `ts ${line.ts} inside the attempt`);
  const four = lines.find((l) => l.line === "four")!;
  const one = lines.find((l) => l.line === "one")!;
  assert.ok(four.ts - one.ts >= 40, "a line printed 50ms later is stamped later");
});

test("a task that prints nothing writes no log file; the tail keeps the last 20 lines", async (t) => {
  const dir = tempDir(t);
  const silent = specFor(dir, ["true"]);
  assert.equal((await executor.launch(silent).done).state, "succeeded");
  assert.equal(existsSync(silent.logFile), false);

  const chatty = specFor(dir, ["sh", "-c", "i=0; while [ $i -lt 30 ]; do echo line-$i; i=$((i+1)); done; exit 3"]);
  const report = await executor.launch(chatty).done;
  assert.equal(report.state, "failed");
  assert.equal(report.exitCode, 3);
  assert.equal(report.reason, null);
  assert.deepEqual(report.tail.map((l) => l.line), Array.from({ length: 20 }, (_, i) => `line-${i + 10}`));
  assert.equal((await readLog(chatty.logFile)).lines.length, 30);
});

test("a line longer than 64 KiB is split", async (t) => {
  const dir = tempDir(t);
  const spec = specFor(dir, [process.execPath, "-e", "process.stdout.write('x'.repeat(70000) + '\\nshort\\n')"]);
  assert.equal((await executor.launch(spec).done).state, "succeeded");
  const { lines } = await readLog(spec.logFile);
  assert.deepEqual(lines.map((l) => l.line.length), [65536, 70000 - 65536, 5]);
});

test("markers: warnings, errors, patterns (a line counts once), metrics, progress, outputs", async (t) => {
  const dir = tempDir(t);
  const script = [
    "echo '::warning::careful'",
    "echo '::warning file=a.py,line=2::WARN twice but counted once'",
    "echo '::error::broken' >&2",
    "echo 'WARN: from the pattern'",
    "echo 'FATAL: from the error pattern'",
    "echo 'FATAL WARN: the worse one wins'",
    "echo '::metric::rows=10'",
    "echo '::metric::rows=30'",
    "echo '::metric::secs=0.5'",
    "echo '::progress::1/4'",
    "echo '::progress::4/4'",
    "echo '::output::answer=41'",
    "echo '::output::answer=42'",
    "echo '::output::greeting=hello=world'",
  ].join("\n");
  const progress: [number, number][] = [];
  const spec = specFor(dir, ["sh", "-c", script], { warnPattern: "WARN", errorPattern: "^FATAL" });
  const report = await executor.launch(spec, { onProgress: (done, total) => progress.push([done, total]) }).done;
  assert.equal(report.state, "succeeded");
  assert.equal(report.warnings, 3);
  assert.equal(report.errors, 3);
  assert.deepEqual(report.metrics, {
    rows: { min: 10, max: 30, mean: 20, sum: 40, count: 2 },
    secs: { min: 0.5, max: 0.5, mean: 0.5, sum: 0.5, count: 1 },
  });
  assert.deepEqual(progress, [[1, 4], [4, 4]]);
  assert.deepEqual(report.outputs, { answer: "42", greeting: "hello=world" });
});

test("the texts of the first 100 warnings and 100 errors are kept in order, masked and cut at 1,000 characters; the counts count them all", async (t) => {
  const dir = tempDir(t);
  const secret = "s3cret-token-value";
  const script = [
    "i=1; while [ $i -le 150 ]; do echo \"::warning::warning number $i\"; i=$((i+1)); done",
    "echo '::error::first error'",
    "echo 'FATAL: counted by the pattern, kept whole'",
    `echo "::warning::the token is $TOKEN"`,
    `echo "::error::$(head -c 1500 /dev/zero | tr '\\0' x)"`,
    "i=1; while [ $i -le 120 ]; do echo \"::error::error number $i\"; i=$((i+1)); done",
  ].join("\n");
  const spec = specFor(dir, ["sh", "-c", script], { errorPattern: "^FATAL", secrets: [secret] });
  spec.env = { ...spec.env, TOKEN: secret };
  const report = await executor.launch(spec).done;
  assert.equal(report.state, "succeeded");
  assert.equal(report.warnings, 151);
  assert.equal(report.errors, 123);
  const messages = report.messages ?? [];
  const warnings = messages.filter((m) => m.level === "warning");
  const errors = messages.filter((m) => m.level === "error");
  assert.deepEqual(
    warnings.map((m) => m.text),
    Array.from({ length: 100 }, (_, i) => `warning number ${i + 1}`),
    "the first 100 warnings, in order; the one with the token came too late",
  );
  // One stream: lines of stdout and stderr are ordered by when they were read, which need not be when they were printed.
  assert.deepEqual(
    errors.slice(0, 3).map((m) => m.text.slice(0, 41)),
    ["first error", "FATAL: counted by the pattern, kept whole", "x".repeat(41)],
  );
  assert.equal(errors[2]!.text.length, 1000, "a long text is cut to 1,000 characters");
  assert.ok(errors[2]!.text.endsWith("…"));
  assert.equal(errors.length, 100);
  assert.equal(errors.at(-1)!.text, "error number 97");
  assert.ok(messages.every((m, i) => i === 0 || m.ts >= messages[i - 1]!.ts), "in the order printed");
  assert.ok(messages.every((m) => m.ts >= report.startedAt && m.ts <= report.finishedAt));

  const masked = await executor.launch(specFor(dir, ["sh", "-c", `echo "::warning::the token is $TOKEN" >&2`], { secrets: [secret], env: { ...spec.env } })).done;
  assert.deepEqual(masked.messages?.map((m) => [m.text, m.stream]), [["the token is ***", "stderr"]], "a secret is masked in the kept text as in the log");
  const pattern = await executor.launch(specFor(dir, ["sh", "-c", `echo "WARN $TOKEN"`], { warnPattern: "^WARN", secrets: [secret], env: { ...spec.env } })).done;
  assert.deepEqual(pattern.messages?.map((m) => m.text), ["WARN ***"], "also in a line a pattern counted");
  assert.ok(!JSON.stringify([report, masked, pattern]).includes(secret));

  const quiet = await executor.launch(specFor(dir, ["sh", "-c", "echo fine"])).done;
  assert.equal(quiet.messages, undefined, "a report without warnings carries no messages field");
});

test("the SPIRE_OUTPUT file, multi-line values included, overrides marker outputs", async (t) => {
  const dir = tempDir(t);
  const script = `echo '::output::size=1'; echo '::output::kept=yes'; printf 'size=2\\nnotes<<EOF\\nfirst line\\nsecond=line\\nEOF\\n' > "$SPIRE_OUTPUT"`;
  const report = await executor.launch(specFor(dir, ["sh", "-c", script])).done;
  assert.equal(report.state, "succeeded");
  assert.deepEqual(report.outputs, { size: "2", kept: "yes", notes: "first line\nsecond=line" });
});

test("an unreadable line in SPIRE_OUTPUT is a warning in the log", async (t) => {
  const dir = tempDir(t);
  const spec = specFor(dir, ["sh", "-c", `printf 'ok=1\\nnot an output\\n' > "$SPIRE_OUTPUT"`]);
  const report = await executor.launch(spec).done;
  assert.deepEqual(report.outputs, { ok: "1" });
  assert.equal(report.warnings, 1);
  assert.match(readFileSync(spec.logFile, "utf8"), /e spire: SPIRE_OUTPUT line 2: expected KEY=VALUE/);
  assert.deepEqual(
    report.messages?.map((m) => [m.level, m.text]),
    [["warning", "spire: SPIRE_OUTPUT line 2: expected KEY=VALUE or KEY<<DELIMITER"]],
    "and its text is kept like the task's own warnings",
  );
});

test("a FIFO or a device at SPIRE_OUTPUT is not read (a FIFO's read waits for a writer for ever): the task ends, saying so", async (t) => {
  const dir = tempDir(t);
  for (const make of ['rm -f "$SPIRE_OUTPUT"; mkfifo "$SPIRE_OUTPUT"; echo ::output::kept=yes', 'ln -sf /dev/zero "$SPIRE_OUTPUT"']) {
    const spec = specFor(dir, ["sh", "-c", make], { timeoutMs: 20_000 });
    const report = await executor.launch(spec).done;
    assert.equal(report.state, "succeeded", make);
    assert.deepEqual(report.outputs, make.includes("kept") ? { kept: "yes" } : {});
    assert.match(readFileSync(spec.logFile, "utf8"), /e spire: .*out-\d+\.txt is not a regular file \(a FIFO or a device, say\): it was not read/);
  }
});

test("secrets are masked in the log file, the tail, marker values and outputs", async (t) => {
  const dir = tempDir(t);
  const secret = "hunter2-very-secret";
  const script = [
    `echo "token is $TOKEN"`,
    `echo "$TOKEN" >&2`,
    `echo "::output::leak=$TOKEN"`,
    `echo "::add-mask::dynamic-value"`,
    `echo "later: dynamic-value"`,
    `echo "short: $SHORT"`,
    `echo "file=$TOKEN" > "$SPIRE_OUTPUT"`,
  ].join("\n");
  const spec = specFor(dir, ["sh", "-c", script], { secrets: [secret, "abc"] });
  spec.env = { ...spec.env, TOKEN: secret, SHORT: "abc" };
  const report = await executor.launch(spec).done;
  assert.equal(report.state, "succeeded");
  const log = readFileSync(spec.logFile, "utf8");
  assert.ok(!log.includes(secret), "the secret is not in the log file");
  assert.ok(!log.includes("dynamic-value"), "an ::add-mask:: value is not in the log file");
  assert.match(log, / o token is \*\*\*\n/);
  assert.match(log, / e \*\*\*\n/);
  assert.match(log, / o later: \*\*\*\n/);
  assert.match(log, / o short: abc\n/, "values under 4 characters are not masked");
  assert.deepEqual(report.outputs, { leak: "***", file: "***" });
  assert.ok(!JSON.stringify(report).includes(secret));
});
