/**
 * CPU and memory of an attempt's whole process tree (src/exec/resources),
 * and the limits that end it: the accounting rules on made-up samples, then
 * real tasks that report their own CPU (getrusage) for the figures to be
 * checked against.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { formatBytes } from "../../src/files/format.js";
import type { AttemptReport } from "../../src/exec/port.js";
import { parseStatusMemory } from "../../src/exec/resources/linux.js";
import { limitExceeded } from "../../src/exec/resources/limits.js";
import { parsePsLine, parsePsTime } from "../../src/exec/resources/macos.js";
import { membersOf } from "../../src/exec/process-tree.js";
import { shareReaped } from "../../src/exec/resources/reap-meter.js";
import { TreeAccount, type Member } from "../../src/exec/resources/tree-account.js";
import { readAttemptRecords } from "../../src/exec/supervisor/attempt-files.js";
import { SupervisorExecutor } from "../../src/exec/supervisor/client.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { specFor, until } from "./fixtures.js";
import { ProcStatTable } from "../../src/exec/proc-table.js";
import { defaultSpawner } from "../../src/exec/spawner/index.js";

const MiB = 1024 * 1024;

const member = (pid: number, ppid: number, cpuMs: number, extra: Partial<Member> = {}): Member => ({
  pid,
  ppid,
  pgid: 100,
  state: "R",
  startTime: String(pid * 10),
  cpuMs,
  rssBytes: 10 * MiB,
  peakRssBytes: 10 * MiB,
  ...extra,
});

describe("the accounting of a tree", () => {
  test("children the leader waited for are counted once: in its final figure, not also as last seen", () => {
    const account = new TreeAccount(100);
    account.observe([member(100, 1, 5), member(101, 100, 200), member(102, 100, 200)]);
    assert.equal(account.cpuMs, 405);
    assert.equal(account.rssBytes, 30 * MiB);
    account.leaderEnded = true;
    account.observe([]); // the group is gone when the leader's exit is seen
    account.leaderReaped(5 + 250 + 250);
    assert.equal(account.cpuMs, 505);
  });

  test("a grandchild waited for by a child that is gone too is not counted twice", () => {
    const account = new TreeAccount(100);
    account.observe([member(100, 1, 0), member(101, 100, 50), member(102, 101, 300)]);
    account.leaderEnded = true;
    account.observe([]);
    account.leaderReaped(400);
    assert.equal(account.cpuMs, 400);
  });

  test("a member re-parented out of the tree keeps its last figure when it vanishes", () => {
    const account = new TreeAccount(100);
    account.observe([member(100, 1, 10), member(101, 100, 50)]);
    account.observe([member(100, 1, 20), member(101, 1, 300)]); // its parent died: re-parented to init
    account.observe([member(100, 1, 30)]); // init reaped it: its time is in no one's figure now
    assert.equal(account.cpuMs, 330);
  });

  test("the peak is the highest sum at a sample, or one member's own high-water mark if that is higher", () => {
    const account = new TreeAccount(100);
    account.observe([member(100, 1, 0, { rssBytes: 50 * MiB, peakRssBytes: 50 * MiB }), member(101, 100, 0, { rssBytes: 60 * MiB, peakRssBytes: 60 * MiB })]);
    assert.equal(account.peakRssBytes, 110 * MiB);
    account.observe([member(100, 1, 0, { rssBytes: 20 * MiB, peakRssBytes: 300 * MiB })]);
    assert.equal(account.rssBytes, 20 * MiB);
    assert.equal(account.peakRssBytes, 300 * MiB);
  });

  test("nothing observed is nothing measured (no 0 that would read as a figure)", () => {
    const account = new TreeAccount(100);
    account.leaderEnded = true;
    account.observe([]);
    assert.equal(account.measured, false);
    account.leaderReaped(undefined);
    assert.equal(account.measured, false);
    account.leaderReaped(30);
    assert.equal(account.measured, true);
    assert.equal(account.memoryMeasured, false);
  });
});

describe("sharing what the reaps added", () => {
  test("a leader reaped alone gets the whole growth", () => {
    assert.deepEqual(shareReaped(130, [{ sampledMs: 40, treeSampledMs: 40, unsampledMs: 100 }], 2), [130]);
  });

  test("a leader never gets more than its tree could have used meanwhile (another child of ours was reaped too)", () => {
    // 5 s of someone else's child landed in this batch; the task ran 20 ms unsampled on 2 CPUs.
    assert.deepEqual(shareReaped(5_030, [{ sampledMs: 0, treeSampledMs: 0, unsampledMs: 20 }], 2), [50]);
  });

  test("in a batch, each gets at least its sampled figure, and the rest by unsampled time", () => {
    const shares = shareReaped(400, [{ sampledMs: 100, treeSampledMs: 100, unsampledMs: 300 }, { sampledMs: 0, treeSampledMs: 0, unsampledMs: 100 }], 4);
    assert.deepEqual(shares, [325, 75]);
    assert.deepEqual(shareReaped(50, [{ sampledMs: 100, treeSampledMs: 100, unsampledMs: 10 }, { sampledMs: 0, treeSampledMs: 0, unsampledMs: 10 }], 4), [100, 0]);
  });
});

describe("reading the system", () => {
  test("membership: the group, members seen before wherever they went, marked processes, and all their descendants", () => {
    const table = [
      member(100, 1, 0), // the leader
      member(101, 100, 0, { pgid: 101 }), // left the group with setsid: still a child
      member(102, 101, 0, { pgid: 101 }), // its child
      member(103, 1, 0, { pgid: 103 }), // re-parented to init, seen before
      member(104, 1, 0, { pgid: 104 }), // re-parented, found by its SPIRE_EXEC_ID
      member(105, 1, 0, { pgid: 105 }), // unrelated
      member(106, 100, 0, { state: "Z" }), // a zombie of the group: its figure is still its own
    ];
    const found = membersOf(table, { pgid: 100, known: [member(103, 1, 0)], marked: new Set([104]) });
    assert.deepEqual(found.map((info) => info.pid).sort(), [100, 101, 102, 103, 104, 106]);
    assert.deepEqual(membersOf(table, { pgid: undefined, known: [], marked: new Set() }), [], "a gone group is not looked for by number");
  });

  test("/proc/<pid>/status memory, and a zombie's (none)", () => {
    assert.deepEqual(parseStatusMemory("Name:\tpython3\nVmHWM:\t  409600 kB\nVmRSS:\t  204800 kB\n"), { rssBytes: 200 * MiB, peakRssBytes: 400 * MiB });
    assert.deepEqual(parseStatusMemory("Name:\tsh\nState:\tZ (zombie)\n"), { rssBytes: 0, peakRssBytes: 0 });
  });

  test("macOS ps lines and times", () => {
    assert.equal(parsePsTime("0:00.05"), 50);
    assert.equal(parsePsTime("1:02.50"), 62_500);
    assert.equal(parsePsTime("1-02:00:00.00"), 93_600_000);
    assert.deepEqual(parsePsLine("  4242     1  4242 Ss     2048   0:01.25 Mon Jan  1 12:00:00 2024"), {
      pid: 4242,
      ppid: 1,
      pgid: 4242,
      state: "S",
      startTime: "Mon Jan 1 12:00:00 2024",
      cpuMs: 1250,
      rssBytes: 2 * MiB,
    });
    assert.equal(parsePsLine("PID PPID"), undefined);
  });

  test("limits: what is over, said with the limit and the figure", () => {
    const usage = { cpuMs: 12_345, rssBytes: 600 * MiB, peakRssBytes: 640 * MiB };
    assert.equal(limitExceeded({ memoryBytes: 512 * MiB }, usage), "memory limit 512 MiB exceeded (peak 640 MiB)");
    assert.equal(limitExceeded({ cpuTimeMs: 10_000 }, usage), "cpu time limit 10s exceeded (used 12.345s)");
    assert.equal(limitExceeded({ memoryBytes: GiB(1), cpuTimeMs: 60_000 }, usage), undefined);
    assert.equal(limitExceeded(undefined, usage), undefined);
    assert.equal(formatBytes(1.5 * GiB(1)), "1.5 GiB");
  });
});

function GiB(n: number): number {
  return n * 1024 * MiB;
}

/**
 * `node busy.cjs MS [NAME] [DONE_FILE]`: burns MS of CPU, then prints its own
 * total CPU (getrusage: all threads, start-up included) as output NAME.
 */
const BUSY = `const [ms, name = "cpu_ms", done] = process.argv.slice(2);
const used = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const from = used();
while (used() - from < Number(ms));
console.log("::output::" + name + "=" + used());
if (done) require("node:fs").writeFileSync(done, "");
`;

function busyScript(dir: string): string {
  const file = join(dir, "busy.cjs");
  writeFileSync(file, BUSY);
  return file;
}

const nodeBusy = (dir: string, ms: number) => [process.execPath, busyScript(dir), String(ms)];

const own = (report: AttemptReport, name = "cpu_ms") => Number(report.outputs[name]);

describe("real tasks", () => {
  checkNoLeftoverProcesses();
  const executor = new LocalExecutor();

  test("a Python task that touches 200 MiB shows a peak of at least 200 MiB", async (t) => {
    const dir = tempDir(t);
    const touch = "import time\nb = bytearray(200 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\ntime.sleep(0.3)";
    const report = await executor.launch(specFor(dir, ["python3", "-c", touch])).done;
    assert.equal(report.state, "succeeded");
    assert.ok((report.peakRssBytes ?? 0) >= 200 * MiB, `peak ${report.peakRssBytes}`);
    assert.ok((report.peakRssBytes ?? 0) < 400 * MiB, `peak ${report.peakRssBytes}: not counted twice`);
  });

  test("a task too short to be sampled has its figures from its reap (native spawner: wait4), memory included", async (t) => {
    if (defaultSpawner().spawner.kind !== "native") return t.skip("the native spawner is not in use");
    const dir = tempDir(t);
    // Node allocates and exits within about the first 20 ms sample's lateness: what it touched is known from ru_maxrss
    // (more than this process ever held: below that, the figure may be this process's, see the next test).
    const report = await executor.launch(specFor(dir, [process.execPath, "-e", "Buffer.alloc(300 * 1024 * 1024, 1)"])).done;
    assert.equal(report.state, "succeeded");
    assert.ok(process.resourceUsage().maxRSS * 1024 < 300 * MiB, "this test process stays below the task's peak");
    assert.ok((report.peakRssBytes ?? 0) >= 300 * MiB, `peak ${report.peakRssBytes}`);
    assert.ok((report.peakRssBytes ?? 0) < 600 * MiB, `peak ${report.peakRssBytes}`);
    assert.ok(report.cpuMs !== undefined && report.cpuMs > 0, `cpu ${report.cpuMs}`);
  });

  test("a no-op's peak is never the spawning process's own memory (a vfork child's ru_maxrss counts it)", async (t) => {
    if (defaultSpawner().spawner.kind !== "native") return t.skip("the native spawner is not in use");
    const dir = tempDir(t);
    // Hold 150 MiB here, so that a figure taken from this process's memory could not pass for a small task's.
    const ballast = Buffer.alloc(150 * MiB, 1);
    const noop = await executor.launch(specFor(dir, ["true"])).done;
    assert.equal(noop.state, "succeeded");
    assert.ok((noop.peakRssBytes ?? 0) < 32 * MiB, `a no-op's peak ${noop.peakRssBytes} is not this process's ${process.resourceUsage().maxRSS} kB`);
    assert.equal(ballast[0], 1);
  });

  test("a 50 ms busy task has its CPU recorded, to the tick, though it ended before most samples", async (t) => {
    const dir = tempDir(t);
    const report = await executor.launch(specFor(dir, nodeBusy(dir, 50))).done;
    assert.equal(report.state, "succeeded");
    const cpu = report.cpuMs ?? -1;
    // /proc counts in 10 ms ticks; after printing, the task only exits.
    assert.ok(cpu >= own(report) - 10 && cpu >= 40, `cpu ${cpu} ms, the task says ${own(report)} ms`);
    assert.ok(cpu <= own(report) + 50, `cpu ${cpu} ms, the task says ${own(report)} ms`);
    assert.ok(cpu <= (report.finishedAt - report.startedAt) * 2 + 10, "no more than the wall time on all CPUs");
  });

  test("a tree: the CPU of the children a shell waited for is counted", async (t) => {
    const dir = tempDir(t);
    const shell = `"$0" "$1" 200 a & "$0" "$1" 200 b & wait`;
    const report = await executor.launch(specFor(dir, ["sh", "-c", shell, process.execPath, busyScript(dir)])).done;
    assert.equal(report.state, "succeeded", JSON.stringify(report.tail));
    const children = own(report, "a") + own(report, "b");
    assert.ok(children >= 400, `the children say ${children} ms`);
    assert.ok((report.cpuMs ?? 0) >= children - 20, `cpu ${report.cpuMs} ms, the children say ${children} ms`);
    assert.ok((report.cpuMs ?? 0) <= children + 150, `cpu ${report.cpuMs} ms: counted once (the children say ${children} ms)`);
  });

  test("a child re-parented away from the tree is still counted", async (t) => {
    const dir = tempDir(t);
    const done = join(dir, "done");
    // The subshell exits at once: its background child is re-parented to init (or the nearest subreaper).
    const shell = `( "$0" "$1" 300 orphan "$2" & ); while [ ! -e "$2" ]; do sleep 0.05; done`;
    const report = await executor.launch(specFor(dir, ["sh", "-c", shell, process.execPath, busyScript(dir), done])).done;
    assert.equal(report.state, "succeeded", JSON.stringify(report.tail));
    // Counted up to the last sample before it died (at most 250 ms earlier); not through anyone's waiting.
    assert.ok((report.cpuMs ?? 0) >= own(report, "orphan") - 260, `cpu ${report.cpuMs} ms, the orphan says ${own(report, "orphan")} ms`);
  });

  test("a memory limit ends a task that grows past it, with the reason", async (t) => {
    const dir = tempDir(t);
    // Grows by 10 MiB every 20 ms, to 600 MiB at most (a limit that did not act would let it succeed).
    const grow = "import time\nkeep = []\nfor _ in range(60):\n    b = bytearray(10 * 1024 * 1024)\n    for i in range(0, len(b), 4096): b[i] = 1\n    keep.append(b)\n    time.sleep(0.02)";
    const report = await executor.launch(specFor(dir, ["python3", "-c", grow], { limits: { memoryBytes: 100 * MiB } })).done;
    assert.equal(report.state, "failed");
    assert.match(report.reason ?? "", /^memory limit 100 MiB exceeded \(peak \d+(\.\d)? MiB\)$/);
    assert.equal(report.signal, "SIGTERM", "ended like a timeout: TERM first");
    assert.ok((report.peakRssBytes ?? 0) > 100 * MiB && (report.peakRssBytes ?? 0) < 500 * MiB, `peak ${report.peakRssBytes}`);
  });

  test("a cpu_time limit ends a busy task", async (t) => {
    const dir = tempDir(t);
    const report = await executor.launch(specFor(dir, nodeBusy(dir, 20_000), { limits: { cpuTimeMs: 300 } })).done;
    assert.equal(report.state, "failed");
    assert.match(report.reason ?? "", /^cpu time limit 300ms exceeded \(used \d+ms\)$/);
    assert.ok((report.cpuMs ?? 0) > 300 && (report.cpuMs ?? 0) < 5_000, `cpu ${report.cpuMs}`);
  });

  test("through the supervisor: the figures are in the report, the records file, and limits apply", async (t) => {
    const dir = tempDir(t);
    const supervisor = await SupervisorExecutor.startChild();
    try {
      const spec = specFor(dir, nodeBusy(dir, 50));
      const report = await supervisor.launch(spec).done;
      assert.ok((report.cpuMs ?? 0) >= own(report) - 10, `cpu ${report.cpuMs} ms, the task says ${own(report)} ms`);
      assert.ok((report.peakRssBytes ?? 0) > MiB, `peak ${report.peakRssBytes}`);
      const { result } = await readAttemptRecords(spec.logFile);
      assert.equal(result?.cpuMs, report.cpuMs, "what a restarted engine would read");
      assert.equal(result?.peakRssBytes, report.peakRssBytes);
      const limited = await supervisor.launch(specFor(dir, nodeBusy(dir, 20_000), { limits: { cpuTimeMs: 200 } })).done;
      assert.match(limited.reason ?? "", /^cpu time limit 200ms exceeded/);
    } finally {
      await supervisor.shutdown();
    }
  });

  test("the incremental process table: new processes are read, their threads are not", async (t) => {
    const table = new ProcStatTable();
    table.read(new Set()); // the full read; what follows is incremental
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 5000)"], { stdio: "ignore" });
    t.after(() => void child.kill("SIGKILL"));
    await until(() => readdirSync(`/proc/${child.pid}/task`).length > 1, "the child's threads");
    const threads = readdirSync(`/proc/${child.pid}/task`).map(Number).filter((tid) => tid !== child.pid);
    const pids = new Set(table.read(new Set()).map((stat) => stat.info.pid));
    assert.ok(pids.has(child.pid!), "the new process is in");
    for (const tid of threads) assert.equal(pids.has(tid), false, `thread ${tid} is not a process`);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    assert.equal(new Set(table.read(new Set([child.pid!])).map((stat) => stat.info.pid)).has(child.pid!), false, "a watched process that ended is dropped");
  });

  test("sampling off (for benchmarks): no figures, and no limits", async (t) => {
    const dir = tempDir(t);
    const unsampled = new LocalExecutor({ resources: false });
    const report = await unsampled.launch(specFor(dir, nodeBusy(dir, 100), { limits: { cpuTimeMs: 10 } })).done;
    assert.equal(report.state, "succeeded");
    assert.equal(report.cpuMs, undefined);
    assert.equal(report.peakRssBytes, undefined);
  });
});
