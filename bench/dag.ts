/**
 * bench/dag: a generated 1,000-task layered DAG of no-op tasks (`true`, two
 * random needs each) run by `spire run` and, on the same graph at
 * parallelism 2, by the peers a user would pick instead — make, ninja, doit,
 * snakemake (each when found on PATH) — and by two floors: a bare Node spawn
 * loop in this process and a C posix_spawn loop. Rounds interleave the tools
 * (the order turns each round); best of 3 each by default.
 * Targets: Spire's wall time ≤ 1.5× make's, and below doit's.
 *
 * Before timing, each tool runs the graph once with every task appending its
 * name to a file, and the bench checks that all tasks ran, once each, after
 * their needs (`--no-check` skips this).
 *
 *   npm run build && node dist/bench/dag.js [tasks] [layers] [rounds] [--no-check]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { cpuTimes, machine, saveResult, seededRandom, timeCommand } from "./lib.js";
import { TOOLS, which, type Graph, type Tool } from "./dag-peers.js";

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const CHECK = !process.argv.includes("--no-check");
const TASKS = Number(positional[0] ?? 1000);
const LAYERS = Number(positional[1] ?? 20);
const ROUNDS = Number(positional[2] ?? 3);

function generate(): Graph {
  const random = seededRandom(42);
  const perLayer = Math.ceil(TASKS / LAYERS);
  const names: string[] = [];
  const needs = new Map<string, string[]>();
  for (let index = 0; index < TASKS; index++) {
    const name = `t${index}`;
    const layer = Math.floor(index / perLayer);
    const deps = new Set<string>();
    if (layer > 0) {
      while (deps.size < Math.min(2, layer * perLayer)) deps.add(`t${Math.floor(random() * layer * perLayer)}`);
    }
    names.push(name);
    needs.set(name, [...deps]);
  }
  return { names, needs };
}

/**
 * The floor for any Node implementation: the same graph run by a bare spawn
 * loop (ready tasks, parallelism 2, no capture, no records), in this process.
 */
async function bareNodeDag({ names, needs }: Graph): Promise<number> {
  const started = performance.now();
  const waiting = new Map(names.map((name) => [name, new Set(needs.get(name))]));
  const dependents = new Map<string, string[]>();
  for (const [name, deps] of needs) for (const dep of deps) dependents.set(dep, [...(dependents.get(dep) ?? []), name]);
  const ready = names.filter((name) => waiting.get(name)!.size === 0);
  let running = 0;
  let done = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (running < 2 && ready.length > 0) {
        const name = ready.shift()!;
        running++;
        const child = spawn("true", [], { stdio: "ignore" });
        child.on("error", reject);
        child.on("exit", () => {
          running--;
          done++;
          for (const next of dependents.get(name) ?? []) {
            const left = waiting.get(next)!;
            left.delete(name);
            if (left.size === 0) ready.push(next);
          }
          if (done === names.length) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  return performance.now() - started;
}

/** Runs the tool once with every task logging its name; throws unless all ran, once each, after their needs. */
async function check(tool: Tool, dir: string, graph: Graph): Promise<void> {
  const log = join(dir, "ran.log");
  tool.write(dir, graph, (name) => `echo ${name} >> ${log}`);
  const { command, args, env } = tool.invocation(dir, 0);
  await timeCommand(command, args, { cwd: dir, env });
  const ran = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
  const position = new Map(ran.map((name, index) => [name, index]));
  if (ran.length !== graph.names.length || position.size !== graph.names.length) {
    throw new Error(`${tool.label} ran ${ran.length} commands for ${position.size} distinct tasks, not ${graph.names.length}`);
  }
  for (const name of graph.names) {
    for (const dep of graph.needs.get(name)!) {
      if (!(position.get(dep)! < position.get(name)!)) throw new Error(`${tool.label} ran ${name} before its need ${dep}`);
    }
  }
}

const ms = (value: number) => value.toFixed(0);
const folderOf = (tool: Tool) => tool.label.replace(/[^a-z0-9]+/gi, "-");

/**
 * Wall ms of run(), and the CPU ms (user + system) it cost this process (when
 * counted) and the processes it reaped: less swayed by other load than wall
 * time. Linux only (cpuTimes reads /proc).
 */
async function measured(run: () => Promise<number>, countSelf: boolean): Promise<{ wall: number; cpu: number }> {
  const before = cpuTimes();
  const wall = await run();
  const after = cpuTimes();
  return { wall, cpu: after.children - before.children + (countSelf ? after.self - before.self : 0) };
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "spire-bench-dag-"));
  try {
    await compare(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function compare(root: string): Promise<void> {
  const graph = generate();
  console.log(`bench/dag: ${TASKS} no-op tasks in ${LAYERS} layers, 2 needs each, parallelism 2, best of ${ROUNDS}`);
  console.log(`machine: ${machine()}`);
  const tools: Tool[] = [];
  for (const tool of TOOLS) {
    if (which(tool.binary) === undefined) {
      console.log(`  ${tool.label.padEnd(14)} ${tool.binary} not found, skipped`);
      continue;
    }
    const dir = join(root, "timed", folderOf(tool));
    mkdirSync(dir, { recursive: true });
    try {
      tool.write(dir, graph, () => "true");
      tools.push(tool);
    } catch (error) {
      console.log(`  ${tool.label.padEnd(14)} skipped: ${(error as Error).message.replace(/\s+/g, " ").trim()}`);
    }
  }
  if (CHECK) {
    for (const tool of tools) {
      const dir = join(root, "check", folderOf(tool));
      mkdirSync(dir, { recursive: true });
      await check(tool, dir, graph);
    }
    console.log(`  check: ${tools.map((tool) => tool.label).join(", ")}: each ran all ${TASKS} tasks once, after their needs`);
  }

  const labels = ["bare Node", ...tools.map((tool) => tool.label)];
  const times = new Map(labels.map((label) => [label, [] as number[]]));
  const cpu = new Map(labels.map((label) => [label, [] as number[]]));
  const record = (label: string, sample: { wall: number; cpu: number }) => {
    times.get(label)!.push(sample.wall);
    cpu.get(label)!.push(sample.cpu);
  };
  for (let round = 0; round < ROUNDS; round++) {
    record("bare Node", await measured(() => bareNodeDag(graph), true));
    // The order turns each round, so that no tool always runs right after the same one.
    const order = tools.map((_, index) => tools[(index + round) % tools.length]!);
    for (const tool of order) {
      const dir = join(root, "timed", folderOf(tool));
      const { command, args, env } = tool.invocation(dir, round);
      record(tool.label, await measured(() => timeCommand(command, args, { cwd: dir, env }), false));
    }
  }

  const best = (label: string) => (times.has(label) ? Math.min(...times.get(label)!) : undefined);
  const makeBest = best("make -j2");
  const doitBest = best("doit -n 2");
  const spireBest = best("spire run")!;
  console.log(`  ${"tool".padEnd(14)} ${"best".padStart(8)}   ${"× make".padStart(7)}   ${"CPU, least".padStart(10)}   wall, all rounds (ms)`);
  for (const [label, rounds] of times) {
    const ratio = makeBest === undefined ? "" : `${(Math.min(...rounds) / makeBest).toFixed(2)}×`;
    const leastCpu = Math.min(...cpu.get(label)!);
    console.log(`  ${label.padEnd(14)} ${ms(Math.min(...rounds)).padStart(5)} ms   ${ratio.padStart(7)}   ${(process.platform === "linux" ? `${ms(leastCpu)} ms` : "—").padStart(10)}   ${rounds.map(ms).join(", ")}`);
  }
  console.log("  (bare Node: the same graph by a spawn loop in this process, no capture — the floor for Node; spire run: start-up, parse, plan and SQLite records included;");
  console.log("   CPU: user + system of the tool and every process it ran, the least of the rounds)");
  const ratioMake = makeBest === undefined ? undefined : spireBest / makeBest;
  const ratioDoit = doitBest === undefined ? undefined : spireBest / doitBest;
  const cpuRatio = (label: string) => (cpu.has(label) ? `; CPU ${(Math.min(...cpu.get("spire run")!) / Math.min(...cpu.get(label)!)).toFixed(2)}×` : "");
  if (ratioMake !== undefined) console.log(`  spire / make  ${ratioMake.toFixed(2)}×   (target ≤ 1.5×: ${ratioMake <= 1.5 ? "met" : "NOT met"}${cpuRatio("make -j2")})`);
  if (ratioDoit !== undefined) console.log(`  spire / doit  ${ratioDoit.toFixed(2)}×   (target < 1×, faster than doit: ${ratioDoit < 1 ? "met" : "NOT met"}${cpuRatio("doit -n 2")})`);
  saveResult("dag", {
    tasks: TASKS,
    layers: LAYERS,
    checked: CHECK,
    ms: Object.fromEntries(times),
    cpu_ms: Object.fromEntries(cpu),
    skipped: TOOLS.filter((tool) => !tools.includes(tool)).map((tool) => tool.label),
    ratio: ratioMake ?? null,
    ratio_doit: ratioDoit ?? null,
  });
}

await main();
