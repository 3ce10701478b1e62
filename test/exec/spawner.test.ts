/**
 * The native spawner (native/spawn.c: posix_spawn, a pidfd on the event
 * loop) with real processes: it is the one in use here, and a task sees
 * what Node's spawn gives it — each case runs through both and compares.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chooseSpawner, defaultSpawner, nodeSpawner, type Spawner, type TaskSpawnOptions } from "../../src/exec/spawner/index.js";
import { loadNativeSpawner } from "../../src/exec/spawner/native.js";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { SupervisorExecutor } from "../../src/exec/supervisor/client.js";
import { usePrivateUmask } from "../../src/files/private.js";
import { parseProcStat } from "../../src/exec/process-tree.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { specFor } from "./fixtures.js";

checkNoLeftoverProcesses();
const loaded = loadNativeSpawner();
if ("why" in loaded) throw new Error(`the native spawner is not there: ${loaded.why}`);
const native: Spawner = loaded;
const both = [native, nodeSpawner];

interface Ran {
  pid: number;
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | null;
  /** Whether /proc/<pid> was gone when the exit was told: reaped in the same turn. */
  reapedAtExit: boolean;
}

/** Runs to the end: the exit and both pipes closed. A failure to start (thrown or emitted) rejects with the error. */
function run(spawner: Spawner, command: string, args: string[], options: Partial<TaskSpawnOptions> = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawner.spawn(command, args, { cwd: options.cwd ?? process.cwd(), env: options.env ?? { PATH: process.env.PATH } });
    } catch (error) {
      return reject(error as Error);
    }
    child.once("error", reject);
    const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    let open = 2;
    let exit: Pick<Ran, "code" | "signal" | "reapedAtExit"> | undefined;
    const running = (pid: number) => {
      const settle = () => {
        if (open === 0 && exit !== undefined) resolve({ pid, stdout: Buffer.concat(chunks.stdout).toString(), stderr: Buffer.concat(chunks.stderr).toString(), ...exit });
      };
      for (const name of ["stdout", "stderr"] as const) {
        child[name]!.on("data", (chunk: Buffer) => chunks[name].push(chunk));
        child[name]!.once("close", () => {
          open--;
          settle();
        });
      }
      child.once("exit", (code, signal) => {
        exit = { code, signal, reapedAtExit: !existsSync(`/proc/${pid}`) };
        settle();
      });
    };
    // Node's spawn has the pid at once; the native spawner tells it in a later turn ("spawn").
    if (child.pid !== undefined) running(child.pid);
    else child.once("spawn", () => running(child.pid!));
  });
}

/** The same run through both spawners; each result checked, and the two equal (but for what `differs` names). */
async function same(command: string, args: string[], options: Partial<TaskSpawnOptions>, check: (ran: Ran) => void, differs: (keyof Ran)[] = []): Promise<void> {
  const [ours, nodes] = [await run(native, command, args, options), await run(nodeSpawner, command, args, options)];
  check(ours);
  check(nodes);
  for (const key of ["stdout", "stderr", "code", "signal"] as const) if (!differs.includes(key)) assert.deepEqual(ours[key], nodes[key], `${key}: native and Node's spawn agree`);
}

test("the native spawner is the one in use here: its tasks' stdout is a pipe (Node's spawn gives a socket)", async (t) => {
  assert.equal(process.platform, "linux");
  assert.deepEqual({ kind: defaultSpawner().spawner.kind, note: defaultSpawner().note }, { kind: "native", note: undefined });
  const dir = tempDir(t);
  // Through the executor every task goes through: not a silent fall back to Node's spawn.
  const report = await new LocalExecutor().launch(specFor(dir, ["readlink", "/proc/self/fd/1", "/proc/self/fd/2"])).done;
  assert.equal(report.state, "succeeded");
  assert.match(report.tail.map((line) => line.line).join(" "), /^pipe:\[\d+\] pipe:\[\d+\]$/);
  await same("readlink", ["/proc/self/fd/1"], {}, () => undefined, ["stdout"]);
  assert.match((await run(nodeSpawner, "readlink", ["/proc/self/fd/1"])).stdout, /^socket:/);
});

test("argv reaches the process literally: spaces, quotes, $(...), backquotes, globs, empty and non-ASCII words", async (t) => {
  const dir = tempDir(t);
  const words = ["a b", "'single'", '"double"', `$(touch ${join(dir, "pwned")})`, "`id`", "*", "", "ünï €", "-n", "back\\slash"];
  await same("printf", ["%s\\n", ...words], { cwd: dir }, (ran) => assert.equal(ran.stdout, words.map((word) => `${word}\n`).join("")));
  assert.equal(existsSync(join(dir, "pwned")), false);
  // argv[0] is the command as given, not the path found on PATH.
  await same("sh", ["-c", 'printf "%s" "$0"'], {}, (ran) => assert.equal(ran.stdout, "sh"));
});

test("the environment is exactly the one given: nothing of Spire's leaks in", async () => {
  const env = { PATH: process.env.PATH, SPACED: "x y", EMPTY: "", QUOTES: `'"$HOME"'`, GONE: undefined };
  assert.ok(process.env.SPIRE_TEST_SESSION !== undefined && process.env.HOME !== undefined, "this process has variables that must not leak");
  await same("env", ["-0"], { env }, (ran) => assert.deepEqual(ran.stdout.split("\0").filter(Boolean).sort(), [`EMPTY=`, `PATH=${process.env.PATH}`, `QUOTES='"$HOME"'`, "SPACED=x y"]));
  await same("env", [], { env: {} }, (ran) => assert.equal(ran.stdout, ""), []); // no PATH: the default one finds env
});

test("the command is looked up in the task's PATH, as execvp does: skipping what cannot run, the cwd for an empty entry, sh for a file with no #!", async (t) => {
  const dir = tempDir(t);
  const [first, second] = [join(dir, "first"), join(dir, "second")];
  mkdirSync(first);
  mkdirSync(second);
  writeFileSync(join(first, "probe"), "#!/bin/sh\necho first\n", { mode: 0o644 }); // not executable: EACCES, and the search goes on
  writeFileSync(join(second, "probe"), "#!/bin/sh\necho second\n", { mode: 0o755 });
  writeFileSync(join(second, "nobang"), "echo no shebang: $0 $1\n", { mode: 0o755 });
  const path = `${first}:${second}:/usr/bin:/bin`;
  await same("probe", [], { env: { PATH: path } }, (ran) => assert.equal(ran.stdout, "second\n"));
  await same("nobang", ["arg"], { env: { PATH: path } }, (ran) => assert.equal(ran.stdout, `no shebang: ${join(second, "nobang")} arg\n`));
  await same("probe", [], { env: { PATH: `:/usr/bin:/bin` }, cwd: second }, (ran) => assert.equal(ran.stdout, "second\n"));
  await same("./probe", [], { env: { PATH: "/usr/bin:/bin" }, cwd: second }, (ran) => assert.equal(ran.stdout, "second\n"));
  // The parent's PATH is not looked in: only the task's.
  for (const spawner of both) await assert.rejects(run(spawner, "probe", [], { env: { PATH: "/usr/bin:/bin" } }), { code: "ENOENT" });
});

test("the working directory, the empty stdin (/dev/null), and the umask are what Node's spawn gives", async (t) => {
  const dir = tempDir(t);
  await same("pwd", ["-P"], { cwd: dir }, (ran) => assert.equal(ran.stdout, `${realpathSync(dir)}\n`));
  await same("sh", ["-c", 'readlink /proc/self/fd/0; wc -c; echo "$(umask)"'], {}, (ran) => assert.match(ran.stdout, /^\/dev\/null\n0\n\d{4}\n$/));
});

test("stdout and stderr arrive apart and complete, several MiB of each at once", async () => {
  const script = "head -c 3000000 /dev/zero | tr '\\0' o & head -c 2000000 /dev/zero | tr '\\0' e >&2; wait";
  await same("sh", ["-c", script], {}, (ran) => {
    assert.equal(ran.stdout.length, 3_000_000);
    assert.equal(ran.stderr.length, 2_000_000);
    assert.ok(/^o+$/.test(ran.stdout) && /^e+$/.test(ran.stderr));
  });
});

test("exit codes and signals are told as Node tells them, in the same turn as the reap", async () => {
  await same("sh", ["-c", "exit 3"], {}, (ran) => assert.deepEqual([ran.code, ran.signal, ran.reapedAtExit], [3, null, true]));
  await same("sh", ["-c", "kill -TERM $$"], {}, (ran) => assert.deepEqual([ran.code, ran.signal, ran.reapedAtExit], [null, "SIGTERM", true]));
  await same("sh", ["-c", "kill -KILL $$"], {}, (ran) => assert.deepEqual([ran.code, ran.signal], [null, "SIGKILL"]));
  await same("true", [], {}, (ran) => assert.deepEqual([ran.code, ran.signal], [0, null]));
});

test("the task leads its own session and process group; no signal is blocked or ignored, though this process ignores SIGPIPE", async () => {
  const sigPipe = 1n << 12n;
  const mask = (status: string, name: string) => BigInt(`0x${/^Sig(\w+):\s*(\w+)$/m.exec(status.split("\n").find((line) => line.startsWith(`${name}:`))!)![2]}`);
  assert.ok((mask(readFileSync("/proc/self/status", "latin1"), "SigIgn") & sigPipe) !== 0n, "Node ignores SIGPIPE: the child must not inherit that");
  for (const spawner of both) {
    const stat = await run(spawner, "cat", ["/proc/self/stat"]);
    const info = parseProcStat(stat.stdout)!;
    const sid = Number(stat.stdout.slice(stat.stdout.lastIndexOf(")") + 2).split(" ")[3]);
    assert.deepEqual({ pid: info.pid, pgid: info.pgid, sid }, { pid: stat.pid, pgid: stat.pid, sid: stat.pid }, spawner.kind);
  }
  await same("cat", ["/proc/self/status"], {}, (ran) => {
    for (const name of ["SigBlk", "SigIgn", "SigCgt"]) assert.equal(mask(ran.stdout, name), 0n, name);
  }, ["stdout"]);
});

test("a failure to start is Node's error (code, syscall, path), and the attempt explains it the same way", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "plain.sh"), "echo hi\n", { mode: 0o644 });
  writeFileSync(join(dir, "file"), "");
  const cases: [string, string[], Partial<TaskSpawnOptions>][] = [
    ["spire-no-such-command", [], {}],
    [join(dir, "missing"), [], {}],
    [join(dir, "plain.sh"), [], {}],
    [dir, [], {}],
    ["true", [], { cwd: join(dir, "nope") }],
    ["true", [], { cwd: join(dir, "file") }],
    ["spire-no-such-command", [], { cwd: join(dir, "nope") }],
  ];
  for (const [command, args, options] of cases) {
    const errors = [];
    for (const spawner of both) errors.push(await run(spawner, command, args, options).then(() => assert.fail(`${command} started`), (error: NodeJS.ErrnoException) => error));
    const [ours, nodes] = errors.map((error) => ({ code: error.code, syscall: error.syscall?.replace(/ .*/, ""), ...(error.code === "ENOTDIR" ? {} : { path: error.path, message: error.message }) }));
    assert.deepEqual(ours, nodes, `${command} in ${options.cwd ?? "."}`);
    const [explainedOurs, explainedNodes] = await Promise.all(
      both.map((spawner) => new LocalExecutor({ spawner }).launch(specFor(dir, [command, ...args], options.cwd === undefined ? {} : { cwd: options.cwd })).done),
    );
    assert.deepEqual([explainedOurs!.exitCode, explainedOurs!.reason], [explainedNodes!.exitCode, explainedNodes!.reason]);
    assert.ok(explainedOurs!.exitCode === 126 || explainedOurs!.exitCode === 127, explainedOurs!.reason ?? "");
  }
  assert.throws(() => native.spawn("echo", ["a\0b"], { cwd: dir, env: {} }), { code: "ERR_INVALID_ARG_VALUE" });
});

/** What this process's descriptors point at (pipe:[…], anon_inode:[pidfd], …). */
function openFds(): string[] {
  return readdirSync("/proc/self/fd").map((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return "closed meanwhile"; // the directory's own descriptor
    }
  });
}

test("children are reaped and their descriptors closed: no zombie and no open fd left after 300 spawns", async () => {
  const fdsBefore = openFds();
  for (let batch = 0; batch < 6; batch++) {
    const ran = await Promise.all(Array.from({ length: 50 }, () => run(native, "true", [])));
    assert.ok(ran.every((one) => one.code === 0 && one.reapedAtExit));
  }
  // A pidfd is closed with its poll handle, at the end of the loop's turn that told the exit (after that turn's setImmediate).
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  const zombies = readdirSync("/proc").filter((entry) => {
    try {
      const info = parseProcStat(readFileSync(`/proc/${entry}/stat`, "latin1"));
      return info?.ppid === process.pid && info.state === "Z";
    } catch {
      return false;
    }
  });
  assert.deepEqual(zombies, []);
  const fdsAfter = openFds();
  assert.ok(fdsAfter.length <= fdsBefore.length, `open now: ${fdsAfter.join(" ")}; before: ${fdsBefore.join(" ")}`);
});

test("a task canceled while it is still starting is ended as soon as it runs; so are those of an executor shut down meanwhile", { timeout: 20_000 }, async (t) => {
  const dir = tempDir(t);
  const executor = new LocalExecutor();
  let started: number | undefined;
  const handle = executor.launch(specFor(dir, ["sleep", "30"]), { onStart: (pid) => (started = pid) });
  handle.cancel("canceled: by the test");
  assert.equal(started, undefined, "the native spawner tells the start in a later turn: this cancel came before it");
  const report = await handle.done;
  assert.deepEqual([report.state, report.reason, report.signal], ["canceled", "canceled: by the test", "SIGTERM"]);
  assert.equal(report.pid, started);
  assert.equal(existsSync(`/proc/${report.pid}`), false);
  const pending = [executor.launch(specFor(dir, ["sleep", "30"])), executor.launch(specFor(dir, ["sleep", "30"]))];
  await executor.shutdown("canceled: executor shut down");
  for (const one of await Promise.all(pending.map((each) => each.done))) assert.deepEqual([one.state, one.signal], ["canceled", "SIGTERM"]);
});

test("the task gets the user's umask, not Spire's private 077", async (t) => {
  const dir = tempDir(t);
  usePrivateUmask(0o027); // as the supervisor: its own files private, its tasks' with the user's umask
  assert.equal(process.umask(), 0o077);
  for (const spawner of both) {
    const report = await new LocalExecutor({ spawner }).launch(specFor(dir, ["sh", "-c", "umask"])).done;
    assert.deepEqual(report.tail.map((line) => line.line), ["0027"], spawner.kind);
  }
});

test("where the spawner thread cannot have a umask of its own, spawns run on the loop's thread, with the same result", async () => {
  // A process of its own: the choice is made before its first spawn.
  const url = (path: string) => JSON.stringify(new URL(path, import.meta.url).pathname);
  const script = `
    const { loadNativeSpawner } = await import(${url("../../src/exec/spawner/native.js")});
    const { usePrivateUmask } = await import(${url("../../src/files/private.js")});
    usePrivateUmask(0o027);
    const spawner = loadNativeSpawner({ onLoopThread: true });
    const run = (command) => new Promise((resolve) => {
      const child = spawner.spawn(command, ["-c", "umask; readlink /proc/self/fd/1"], { cwd: "/", env: { PATH: "/usr/bin:/bin" } });
      child.once("error", (error) => resolve(error.code));
      child.once("spawn", () => {
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        const closed = new Promise((done) => child.stdout.once("close", done));
        child.once("exit", (code) => void closed.then(() => resolve(out + code)));
      });
    });
    console.log(JSON.stringify([spawner.kind, await run("sh"), await run("spire-no-such-command"), process.umask().toString(8)]));`;
  const ran = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(ran.status, 0, ran.stderr);
  const [kind, output, missing, umask] = JSON.parse(ran.stdout) as string[];
  assert.equal(kind, "native");
  assert.match(output!, /^0027\npipe:\[\d+\]\n0$/);
  assert.deepEqual([missing, umask], ["ENOENT", "77"]);
});

test("SPIRE_SPAWNER=node gives Node's spawn, in this process and in a supervisor, which tells its engine", async () => {
  assert.deepEqual({ kind: chooseSpawner("node").spawner.kind, note: chooseSpawner("node").note }, { kind: "node", note: "tasks start with Node's spawn: SPIRE_SPAWNER=node" });
  assert.equal(chooseSpawner("nonsense").spawner.kind, "native");
  const module = new URL("../../src/exec/spawner/index.js", import.meta.url).pathname;
  const print = `const { defaultSpawner } = await import(${JSON.stringify(module)}); console.log(defaultSpawner().spawner.kind)`;
  const child = (setting: string | undefined) => spawnSync(process.execPath, ["--input-type=module", "-e", print], { encoding: "utf8", env: { ...process.env, SPIRE_SPAWNER: setting } }).stdout.trim();
  assert.deepEqual([child("node"), child(undefined)], ["node", "native"]);
  for (const [setting, kind] of [["node", "node"], ["", "native"]] as const) {
    const supervisor = await SupervisorExecutor.startChild({ env: { ...process.env, SPIRE_SPAWNER: setting } });
    try {
      assert.equal(supervisor.spawner?.kind, kind);
      assert.equal(supervisor.spawner?.note !== undefined, kind === "node");
    } finally {
      await supervisor.shutdown();
    }
  }
});

test("the native spawner says at the exit whether anything is left of the process group; its reading of a pipe held open stops on destroy", async () => {
  const openFds = () => readdirSync("/proc/self/fd").length;
  const before = openFds();
  const child = native.spawn("sh", ["-c", "echo first; sleep 30 & exit 0"], { cwd: process.cwd(), env: { PATH: process.env.PATH } });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });
  const seen: string[] = [];
  child.stdout!.on("data", (chunk) => seen.push(`data ${chunk.toString().trim()}`));
  child.stdout!.once("end", () => seen.push("end"));
  child.stdout!.once("close", () => seen.push("close"));
  child.stderr!.once("close", () => seen.push("stderr close"));
  await new Promise((resolve) => child.once("exit", resolve));
  // The background sleep is still in the group, and holds both pipes open.
  assert.equal(child.groupGoneAtExit, false);
  assert.ok(process.kill(-child.pid!, 0));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen, ["data first"], "nothing ends while the pipes are held");
  child.stdout!.destroy();
  child.stdout!.destroy(); // a second destroy is nothing
  child.stderr!.destroy();
  assert.deepEqual(seen, ["data first"], "close comes after the caller's turn, as a stream's");
  await new Promise((resolve) => process.nextTick(resolve));
  assert.deepEqual(seen, ["data first", "close", "stderr close"], "destroyed: closed, without an end of file");
  process.kill(-child.pid!, "SIGKILL");
  // Closed with their handles, at the loop's next close phase.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(openFds(), before, "both pipes' fds (and the pidfd) are closed");

  const alone = native.spawn("true", [], { cwd: process.cwd(), env: { PATH: process.env.PATH } });
  await new Promise((resolve) => alone.once("exit", resolve));
  assert.equal(alone.groupGoneAtExit, true);
  const nodes = nodeSpawner.spawn("true", [], { cwd: process.cwd(), env: { PATH: process.env.PATH } });
  await new Promise((resolve) => nodes.once("exit", resolve));
  assert.equal(nodes.groupGoneAtExit, undefined, "Node's spawn does not look");
});
