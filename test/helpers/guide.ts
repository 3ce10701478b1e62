/**
 * Runs a guide of docs/ as a person would follow it: its files written, its
 * commands typed, in order, in a fresh folder with a fresh data folder and
 * the real `spire` on PATH. A guide that says something that is no longer
 * true fails its test.
 *
 * What a guide's fenced blocks mean (the info string after the backticks):
 *
 *   ```yaml file=spire.yaml   the file's content, written before the next command
 *   ```sh                     commands, run with bash -e in the guide's folder; must exit 0
 *   ```sh exit=1              … must exit with that code
 *   ```sh background          left running (`spire engine` in another terminal); when it
 *                             starts an engine, the next block waits until it answers
 *                             (on the guide's own port: see below)
 *   ```output                 lines the previous sh block prints, in order, each a part of a
 *                             line (`…` stands for anything); other lines may come between
 *   ```sh norun               shown, not run: only for what cannot run here (say why beside it)
 *   ```sh stop                the reader stops what the last background block started that still
 *                             runs (Ctrl-C in its terminal): the body (a comment saying so) is shown,
 *                             not run; the harness sends SIGINT to it and waits until it has ended
 *
 * Any other block (```text, ```console, ```ini) is shown only. Every
 * process a guide starts is ended when its test ends. The blocks run as if
 * typed into one terminal: what a block exports (`export TOKEN=…`) is set
 * in the blocks after it.
 *
 * The engine's default port, 7431, is a free port of the test's own, so
 * that guides run side by side (and beside an engine of yours): every
 * `7431` in a block stands for that port, and `spire engine` without
 * --listen listens there. Every `9009` (prunner's port) stands for another.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { get as httpsGet } from "node:https";
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { REPO_ROOT, SPIRE_BIN } from "./cli.js";
import { tempDir } from "./tmp.js";

export interface GuideBlock {
  info: string;
  body: string;
  /** 1-based line of the opening fence in the guide. */
  line: number;
}

/** The fenced blocks of a markdown text, in order. */
export function fencedBlocks(markdown: string): GuideBlock[] {
  const blocks: GuideBlock[] = [];
  const lines = markdown.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const open = /^(\s*)(```+)\s*(.*)$/.exec(lines[index]!);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const body: string[] = [];
    let end = index + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence!)) body.push(lines[end++]!.slice(indent!.length));
    blocks.push({ info: info!.trim(), body: body.join("\n"), line: index + 1 });
    index = end;
  }
  return blocks;
}

export interface GuideRun {
  /** The folder the commands ran in. */
  dir: string;
  data: string;
  /** What each sh block printed, in order. */
  outputs: { block: GuideBlock; stdout: string; stderr: string; code: number | null }[];
}

export interface GuideOptions {
  /** More environment for every command (a webhook receiver's URL, say). */
  env?: Record<string, string>;
  /** How long one block may take (default 60 s). */
  blockTimeoutMs?: number;
}

/** Follows the guide at `path` (relative to the repository, or absolute); fails the test at the first block that does not do what the guide says. */
export async function runGuide(t: TestContext, path: string, options: GuideOptions = {}): Promise<GuideRun> {
  const guide = resolve(REPO_ROOT, path);
  const port = await freePort();
  // prunner's port (spire engine --prunner 127.0.0.1:9009) likewise.
  const prunnerPort = await freePort();
  const blocks = fencedBlocks(readFileSync(guide, "utf8")).map((block) => ({ ...block, body: block.body.replace(/\b7431\b/g, String(port)).replace(/\b9009\b/g, String(prunnerPort)) }));
  const dir = tempDir(t, "spire-guide-");
  const data = join(dir, ".spire-data");
  const bin = join(dir, ".bin");
  mkdirSync(bin);
  // `spire` as a person has it on PATH after installing (README: Install), its engine on the guide's port.
  writeFileSync(join(bin, "spire"), spireCommand(port));
  chmodSync(join(bin, "spire"), 0o755);
  // The package, as `npm install spire` leaves it in a project: `import … from "spire"` in a guide's scripts.
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(REPO_ROOT, join(dir, "node_modules", "spire"), "dir");
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    SPIRE_DATA: data,
    NO_COLOR: "1",
    ...options.env,
  };
  const background: ChildProcess[] = [];
  const run: GuideRun = { dir, data, outputs: [] };
  try {
    await followBlocks(path, blocks, { dir, data, env, background, run, blockTimeoutMs: options.blockTimeoutMs ?? 60_000 });
  } finally {
    // Here, not in t.after: the check for leftover processes runs before those.
    await Promise.all(background.map((child) => stopGroup(child)));
  }
  return run;
}

/** A port nothing listens on now (the kernel's pick, released at once). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The `spire` a guide's commands find on PATH: the real one, with
 * `--listen 127.0.0.1:PORT` added to a `spire engine` started without
 * --listen (global options such as `--data DIR` may come before the
 * command). Guides run side by side, and the reader's own engine may hold
 * 7431; the guide's 7431 is this port (see runGuide).
 */
function spireCommand(port: number): string {
  return `#!/bin/sh
command=; skip=
for word in "$@"; do
  if [ -n "$skip" ]; then skip=; continue; fi
  case "$word" in
    --data|--engine) skip=1 ;;
    -*) ;;
    *) command=$word; break ;;
  esac
done
if [ "$command" = engine ]; then
  case " $* " in *" --listen"*) ;; *) set -- "$@" --listen 127.0.0.1:${port} ;; esac
fi
exec "${process.execPath}" "${SPIRE_BIN}" "$@"
`;
}

interface Session {
  dir: string;
  data: string;
  env: Record<string, string>;
  background: ChildProcess[];
  run: GuideRun;
  blockTimeoutMs: number;
}

async function followBlocks(path: string, blocks: GuideBlock[], { dir, data, env, background, run, blockTimeoutMs }: Session): Promise<void> {
  // The data folder of the engine the last background block started (its own --data, else the guide's), until it answers.
  let waitForEngine: string | undefined;
  const exportsFile = join(dir, ".bin", "exports.sh");
  for (const block of blocks) {
    const where = `${path}:${block.line}`;
    const [kind, ...flags] = block.info.split(/\s+/);
    const file = flags.find((flag) => flag.startsWith("file="))?.slice(5);
    if (file !== undefined) {
      const target = join(dir, file);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, block.body.endsWith("\n") ? block.body : `${block.body}\n`);
      continue;
    }
    if (kind === "output") {
      const last = run.outputs.at(-1);
      assert.ok(last, `${where}: an output block needs a sh block before it`);
      assertLinesInOrder(`${last.stdout}${last.stderr}`, block.body, where);
      continue;
    }
    // A reader types the next command once the engine answers: also Ctrl-C (stopped while starting, it would leave its supervisor).
    if (kind === "sh" && !flags.includes("norun") && waitForEngine !== undefined) {
      await engineAnswers(waitForEngine, where);
      waitForEngine = undefined;
    }
    if (kind === "sh" && flags.includes("stop")) {
      const running = background.filter((child) => child.exitCode === null && child.signalCode === null).at(-1);
      assert.ok(running, `${where}: a stop block needs something started by a background block that still runs`);
      await stopGroup(running, "SIGINT");
      continue;
    }
    if (kind !== "sh" || flags.includes("norun")) continue;
    if (flags.includes("background")) {
      background.push(spawn("bash", ["-e", "-c", withExports(block.body, exportsFile, false)], { cwd: dir, env, stdio: "ignore", detached: true }));
      const ownData = /\bspire\b.*\bengine\b.*--data[ =](\S+)/.exec(block.body)?.[1];
      waitForEngine = /\bspire\b.*\bengine\b/.test(block.body) ? (ownData === undefined ? data : resolve(dir, ownData)) : undefined;
      continue;
    }
    const expected = Number(flags.find((flag) => flag.startsWith("exit="))?.slice(5) ?? 0);
    const result = await runBlock(withExports(block.body, exportsFile, true), dir, env, blockTimeoutMs);
    run.outputs.push({ block, ...result });
    assert.equal(result.code, expected, `${where}: exit ${result.code}, the guide says ${expected}\n$ ${block.body}\n${result.stdout}${result.stderr}`);
  }
}

/**
 * The block's script, with the variables earlier blocks exported set first and (when `keep`) its own
 * exports saved for the next ones. On the script's first line, so that bash's line numbers stay the guide's.
 */
function withExports(script: string, file: string, keep: boolean): string {
  const quoted = `'${file.replaceAll("'", "'\\''")}'`;
  const save = `trap 'export -p | grep -Ev "^declare -x (PWD|OLDPWD|SHLVL|_)(=|$)" > ${quoted.replaceAll("'", "'\\''")}' EXIT; `;
  return `. ${quoted} 2>/dev/null || true; ${keep ? save : ""}${script}`;
}

function runBlock(script: string, cwd: string, env: Record<string, string>, timeoutMs: number): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const child = spawn("bash", ["-e", "-o", "pipefail", "-c", script], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => killGroup(child, "SIGKILL"), timeoutMs);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr: code === null ? `${stderr}(killed after ${timeoutMs} ms)` : stderr, code });
    }),
  );
}

/** Every line of `expected` is part of a line of `text`, in order; `…` matches anything. */
export function assertLinesInOrder(text: string, expected: string, where: string): void {
  const lines = text.split("\n");
  let at = 0;
  for (const want of expected.split("\n").filter((line) => line.trim() !== "")) {
    const pattern = new RegExp(want.trim().split("…").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*"));
    const found = lines.findIndex((line, index) => index >= at && pattern.test(line));
    assert.ok(found >= 0, `${where}: the guide shows "${want.trim()}", which is not in what the command printed (in this order):\n${text}`);
    at = found + 1;
  }
}

/** The engine a background block started answers (its address file is written once it listens). */
async function engineAnswers(data: string, where: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const file = join(data, "engine.json");
    if (existsSync(file)) {
      try {
        const { url } = JSON.parse(readFileSync(file, "utf8")) as { url: string };
        if (await healthy(url)) return;
      } catch {
        // not yet
      }
    }
    assert.ok(Date.now() < deadline, `${where}: the engine started in the background did not answer within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * GET /api/v1/health answers 200. An engine that serves https has the
 * guide's own certificate, often self-signed, which this process does not
 * trust (NODE_EXTRA_CA_CERTS is read at start): here only its answering
 * matters, so that certificate is not checked; the guide's commands check it.
 */
function healthy(url: string): Promise<boolean> {
  if (!url.startsWith("https:")) return fetch(`${url}/api/v1/health`).then((response) => response.ok);
  return new Promise((resolve, reject) => {
    httpsGet(`${url}/api/v1/health`, { rejectUnauthorized: false }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    }).on("error", reject);
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // gone
  }
}

/** SIGTERM (or `signal`) to a background block's group (an engine drains), SIGKILL if it is still there after 15 s. */
async function stopGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const ended = new Promise((resolve) => child.on("close", resolve));
  killGroup(child, signal);
  const timer = setTimeout(() => killGroup(child, "SIGKILL"), 15_000);
  await ended;
  clearTimeout(timer);
}
