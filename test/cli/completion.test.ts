/**
 * `spire completion` and its helper `spire __complete`: a missing or unknown
 * shell is a usage error naming the three; each script passes its shell's
 * own syntax check; the helper prints nothing, at once, when no engine is up,
 * and nothing within its budget when one was killed or does not answer; and a
 * command added to the program is completed with no change to the
 * completion code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { Option } from "commander";
import { buildProgram } from "../../src/cli/main.js";
import { completionModel, DYNAMIC_VALUES } from "../../src/cli/completion/model.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { finished, spire } from "../helpers/cli.js";
import { missingShell, type Shell } from "../helpers/shells.js";

checkNoLeftoverProcesses();

test("spire completion without a shell, or with one it does not know, is a usage error naming bash, zsh and fish", async (t) => {
  const data = tempDir(t);
  for (const args of [["completion"], ["completion", "tcsh"]]) {
    const result = await spire(args, { data });
    assert.equal(result.code, 2, `spire ${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stdout, "");
    for (const shell of ["bash", "zsh", "fish"]) assert.match(result.stderr, new RegExp(shell), `spire ${args.join(" ")} names ${shell}: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  }
  const help = await spire(["completion", "--help"], { data });
  assert.equal(help.code, 0);
  for (const place of ["bash-completion/completions/spire", "fpath", "fish/completions/spire.fish"]) assert.ok(help.stdout.includes(place), `--help says where the script goes: ${place}`);
});

const SYNTAX_CHECK: Record<Shell, string[]> = { bash: ["-n"], zsh: ["-n"], fish: ["--no-execute"] };

for (const shell of ["bash", "zsh", "fish"] as Shell[]) {
  test(`the ${shell} script passes ${shell}'s own syntax check`, { skip: missingShell(shell) }, async (t) => {
    const dir = tempDir(t);
    const printed = await spire(["completion", shell], { data: dir });
    assert.equal(printed.code, 0, printed.stderr);
    const script = join(dir, `spire.${shell}`);
    writeFileSync(script, printed.stdout);
    const checked = spawnSync(shell, [...SYNTAX_CHECK[shell], script], { encoding: "utf8" });
    assert.equal(checked.status, 0, `${shell} ${SYNTAX_CHECK[shell].join(" ")}: ${checked.stderr}`);
    assert.equal(checked.stderr, "");
  });
}

/** Wall time of a process, from spawn to exit, and what it printed. */
async function timed(run: () => Promise<{ code: number | null; stdout: string; stderr: string }>) {
  const started = performance.now();
  const result = await run();
  return { ms: performance.now() - started, ...result };
}

const timedHelper = (args: string[], data: string) => timed(() => spire(["__complete", ...args], { data }));
const nodeAlone = () => timed(() => finished(spawn(process.execPath, ["-e", "0"], { stdio: ["ignore", "pipe", "pipe"] })));

test("spire __complete with no engine up prints nothing, exits 0, and is quick: best of five under 300 ms (when the machine is so loaded that node alone takes over 100 ms to start, under three times that)", async (t) => {
  const data = tempDir(t);
  const times: number[] = [];
  const baseline: number[] = [];
  for (const name of ["pipelines", "runs", "tasks", "namespaces", "pipelines"]) {
    const result = await timedHelper(name === "tasks" ? [name, "last"] : [name], data);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "", `${name}: nothing to offer`);
    assert.equal(result.stderr, "");
    times.push(result.ms);
    // Between the helper's runs, so that both see the same load.
    baseline.push((await nodeAlone()).ms);
  }
  const [best, nodeBest] = [Math.min(...times), Math.min(...baseline)];
  t.diagnostic(`spire __complete ${times.map(Math.round).join(", ")} ms; node -e 0 ${baseline.map(Math.round).join(", ")} ms`);
  assert.ok(best < Math.max(300, 3 * nodeBest), `the quickest took ${Math.round(best)} ms (node alone: ${Math.round(nodeBest)} ms)`);
});

test("spire __complete prints nothing, within its budget, for an engine killed outright (its address file left behind) and for one that does not answer", async (t) => {
  const killed = tempDir(t);
  // Its process is gone (no pid is this high) and nothing listens at its address.
  writeFileSync(join(killed, "engine.json"), JSON.stringify({ url: "http://127.0.0.1:9", pid: 2 ** 22 + 1 }));
  // This one accepts connections and never answers; the address file names a live process (this one), so it is not taken for gone.
  const sockets = new Set<Socket>();
  const server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const silent = tempDir(t);
  const { port } = server.address() as { port: number };
  writeFileSync(join(silent, "engine.json"), JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid }));
  for (const [data, what] of [
    [killed, "killed"],
    [silent, "not answering"],
  ] as const) {
    const result = await timedHelper(["pipelines"], data);
    t.diagnostic(`${what}: ${Math.round(result.ms)} ms`);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, "");
    assert.ok(result.ms < 3000, `${what}: a Tab press waited ${Math.round(result.ms)} ms`);
  }
  assert.ok(sockets.size > 0, "it did ask the silent engine");
});

test("a command added to the program is completed without a change to the completion code: its arguments and option values by their names", () => {
  const program = buildProgram();
  program
    .command("deploy")
    .argument("<pipeline>")
    .argument("[run]")
    .option("-c, --config <file>", "a file")
    .addOption(new Option("--mode <mode>").choices(["fast", "safe"]))
    .action(() => undefined);
  const model = completionModel(program);
  const deploy = model.commands.find((command) => command.path.join(" ") === "deploy");
  assert.ok(deploy, "deploy is in the model");
  assert.ok(model.commands[0]!.commands.some((command) => command.name === "deploy"), "spire <Tab> offers deploy");
  assert.deepEqual(deploy.positionals, [["@pipelines"], ["last", "@runs"]]);
  const values = Object.fromEntries(deploy.options.map((option) => [option.flags.join(" "), option.values]));
  assert.deepEqual(values["-c --config"], ["@files"]);
  assert.deepEqual(values["--mode"], ["fast", "safe"]);
  // Every list the real program's scripts ask for is one the scripts make or spire __complete answers.
  const asked = new Set(completionModel(buildProgram()).commands.flatMap((command) => [...command.positionals.flat(), ...command.options.flatMap((option) => option.values)]).filter((value) => value.startsWith("@")));
  const known = new Set(["@files", "@dirs", "@programs", "@commands", ...DYNAMIC_VALUES.map((name) => `@${name}`)]);
  assert.deepEqual([...asked].filter((value) => !known.has(value)), []);
});
