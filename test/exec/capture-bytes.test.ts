/**
 * Output capture on bytes: chunks cut anywhere (inside a UTF-8 character,
 * a secret, a "\r\n"), long lines cut at 64 KiB on a character boundary,
 * markers and the tail among lines copied in bulk. Chunks are pushed by
 * hand so that their boundaries are exactly where the test wants them;
 * the log is the real file, read back with readLog.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OutputCapture, type CaptureOptions } from "../../src/exec/capture.js";
import { MAX_LINE_BYTES } from "../../src/exec/port.js";
import { LogWriter } from "../../src/exec/log-writer.js";
import { readLog } from "../../src/logs/log-file.js";
import type { LaunchEvents, LogLine } from "../../src/exec/port.js";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { specFor } from "./fixtures.js";

checkNoLeftoverProcesses();

/** Pushes `chunks` to stdout, ends it, and returns the lines of the log file and the capture. */
async function capture(dir: string, chunks: (string | Buffer)[], options: Partial<CaptureOptions> = {}, events: LaunchEvents = {}) {
  const file = join(dir, "task.log");
  const writer = new LogWriter(file);
  const output = new OutputCapture({ secrets: [], ...options }, writer, events);
  for (const chunk of chunks) output.push("stdout", typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
  output.end("stdout");
  await writer.close();
  return { lines: (await readLog(file)).lines.map((l) => l.line), output, file };
}

test("a UTF-8 character split between two chunks is one character in the log", async (t) => {
  const bytes = Buffer.from("café ünïcode ✓\n", "utf8");
  const at = bytes.indexOf(0xc3) + 1; // inside "é"
  const { lines } = await capture(tempDir(t), [bytes.subarray(0, at), bytes.subarray(at)]);
  assert.deepEqual(lines, ["café ünïcode ✓"]);
});

test("a line longer than 64 KiB is cut before a character, never inside it", async (t) => {
  const line = "x".repeat(MAX_LINE_BYTES - 1) + "é" + "yz"; // "é" takes bytes 65535 and 65536
  const whole = await capture(tempDir(t), [line + "\n"]);
  assert.deepEqual(whole.lines, ["x".repeat(MAX_LINE_BYTES - 1), "éyz"]);
  // The same when the line arrives in pieces with no end in sight (cut while still unfinished).
  const bytes = Buffer.from(line + "\n", "utf8");
  const pieces = await capture(tempDir(t), [bytes.subarray(0, 40_000), bytes.subarray(40_000, 65_537), bytes.subarray(65_537)]);
  assert.deepEqual(pieces.lines, whole.lines);
});

test("a secret split across chunks within one line is masked; so is one announced by ::add-mask:: amid ordinary lines", async (t) => {
  const secret = "token-0123456789";
  const ordinary = Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join("");
  const { lines, file } = await capture(
    tempDir(t),
    [ordinary + "the tok", "en-0123456789 is here\n" + ordinary, "::add-mask::later-value\n" + ordinary + "later-value again\n"],
    { secrets: [secret] },
  );
  const log = readFileSync(file, "utf8");
  assert.ok(!log.includes(secret) && !log.includes("later-value"), "no secret in clear");
  assert.ok(lines.includes("the *** is here"));
  assert.ok(lines.includes("*** again"));
  assert.equal(lines.length, 50 * 3 + 3);
});

test('"\\r\\n" loses its "\\r", even split between chunks; a "\\r" inside a line is kept', async (t) => {
  const { lines } = await capture(tempDir(t), ["one\r\ntwo\r", "\nthree\rstill three\n", "last\r"]);
  assert.deepEqual(lines, ["one", "two", "three\rstill three", "last\r"]);
});

test("markers and indented markers among bulk lines are read; the tail is the last 20 lines in order", async (t) => {
  const progress: [number, number][] = [];
  const text = Array.from({ length: 100 }, (_, i) =>
    i === 30 ? "::output::answer=42" : i === 85 ? "  ::warning::indented" : i === 90 ? "::progress::9/10" : i === 95 ? "\tplain but indented" : `line ${i}`,
  ).join("\n");
  const { lines, output } = await capture(tempDir(t), [text + "\n"], {}, { onProgress: (done, total) => progress.push([done, total]) });
  assert.equal(lines.length, 100);
  assert.deepEqual(output.markerOutputs, { answer: "42" });
  assert.equal(output.warnings, 1);
  assert.deepEqual(progress, [[9, 10]]);
  assert.deepEqual(
    output.tail().map((l) => l.line),
    lines.slice(80),
  );
});

test("bytes that are not UTF-8 are logged as U+FFFD, as a decoder would show them", async (t) => {
  const { lines, file } = await capture(tempDir(t), [Buffer.from([0x61, 0xff, 0x62, 0x0a, 0x63, 0xc3])]);
  assert.deepEqual(lines, ["a\ufffdb", "c\ufffd"]);
  assert.ok(readFileSync(file).includes(Buffer.from("\ufffd", "utf8")), "the file holds valid UTF-8");
});

test("a listener sees every line, in order, as the log has them", async (t) => {
  const seen: LogLine[] = [];
  const { lines } = await capture(tempDir(t), ["a\nb", "c\n::metric::n=1\nd\n"], {}, { onLine: (line) => seen.push(line) });
  assert.deepEqual(lines, ["a", "bc", "::metric::n=1", "d"]);
  assert.deepEqual(seen.map((l) => l.line), lines);
});

test("a real task writing many lines in few writes: every line logged once, in order", async (t) => {
  const dir = tempDir(t);
  const script = "let s = ''; for (let i = 0; i < 20000; i++) s += (i % 1000 === 7 ? '  ' : '') + 'line ' + i + '\\n'; process.stdout.write(s);";
  const spec = specFor(dir, [process.execPath, "-e", script]);
  const report = await new LocalExecutor().launch(spec).done;
  assert.equal(report.state, "succeeded");
  const { lines } = await readLog(spec.logFile, { stream: "stdout" });
  assert.equal(lines.length, 20000);
  lines.forEach((l, i) => assert.equal(l.line, `${i % 1000 === 7 ? "  " : ""}line ${i}`));
  assert.deepEqual(report.tail.map((l) => l.line), lines.slice(-20).map((l) => l.line));
});

test("the tail is the last 20 lines as logged, whether copied in bulk or read as text, across many chunks", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "task.log");
  const writer = new LogWriter(file);
  const output = new OutputCapture({ secrets: ["hunter22"] }, writer, {});
  for (let chunk = 0; chunk < 30; chunk++) {
    // Bulk lines, a masked one, a marker, a "\r\n", and a line left unfinished for the next chunk; some chunks have fewer lines than the tail.
    const lines = Array.from({ length: chunk % 3 === 0 ? 3 : 25 }, (_, i) => `chunk ${chunk} line ${i}`);
    lines.splice(lines.length - 2, 0, `pass hunter22 ${chunk}`, `::output::n=${chunk}`, `crlf ${chunk}\r`);
    output.push(chunk % 2 === 0 ? "stdout" : "stderr", Buffer.from(`${lines.join("\n")}\nunfinished ${chunk}`));
    output.push(chunk % 2 === 0 ? "stdout" : "stderr", Buffer.from(` ends\n`));
  }
  output.end("stdout");
  output.end("stderr");
  await writer.close();
  const logged = (await readLog(file)).lines;
  assert.equal(logged.length, 10 * 6 + 20 * 28 + 30 * 1);
  assert.deepEqual(output.tail(), logged.slice(-20));
  assert.ok(output.tail().some((l) => l.line === "pass *** 29"), "a masked line is in the tail as logged");
});

test("captures cutting their batches from the same slab never write into each other's bytes", async (t) => {
  const dir = tempDir(t);
  const expected = { a: [] as string[], b: [] as string[] };
  const writers = { a: new LogWriter(join(dir, "a.log")), b: new LogWriter(join(dir, "b.log")) };
  const captures = { a: new OutputCapture({ secrets: [] }, writers.a, {}), b: new OutputCapture({ secrets: [] }, writers.b, {}) };
  // Writes are still queued while later batches are built: ordinary lines, one-character lines (a batch outgrows its
  // room: each line gains a prefix many times its size), and chunks too large for a slab.
  for (let round = 0; round < 40; round++) {
    for (const name of ["a", "b"] as const) {
      const width = round % 3 === 0 ? 1 : round % 3 === 1 ? 70 : 3000;
      const lines = Array.from({ length: round % 3 === 2 ? 60 : 500 }, (_, i) => `${name}${round}.${i}`.padEnd(width, name).slice(0, Math.max(width, 1)));
      expected[name].push(...lines);
      captures[name].push("stdout", Buffer.from(lines.join("\n") + "\n"));
    }
  }
  await Promise.all([writers.a.close(), writers.b.close()]);
  for (const name of ["a", "b"] as const) {
    const { lines } = await readLog(join(dir, `${name}.log`));
    assert.deepEqual(
      lines.map((l) => l.line),
      expected[name],
      `${name}.log holds its own lines, in order`,
    );
  }
});
