/**
 * bench/dag: a generated 1,000-task layered DAG of no-op tasks (`exec:
 * ["true"]`, two random needs each), run by `spire run` and by `make -j2`
 * on the same graph, best of 3 each, in the same run; `spire run` again
 * with SPIRE_SPAWNER=node (Node's spawn instead of the native spawner).
 * Target: Spire's wall time ≤ 1.5× make's.
 *
 *   npm run build && node dist/bench/dag.js [tasks] [layers]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { spireArgv, machine, saveResult, seededRandom, timeCommand } from "./lib.js";

const TASKS = Number(process.argv[2] ?? 1000);
const LAYERS = Number(process.argv[3] ?? 20);
const ROUNDS = 3;

function generate(): { names: string[]; needs: Map<string, string[]> } {
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
async function bareNodeDag(names: string[], needs: Map<string, string[]>): Promise<number> {
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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "spire-bench-dag-"));
  const { names, needs } = generate();
  const yaml = ["pipelines:", "  dag:", "    tasks:"];
  for (const name of names) {
    const deps = needs.get(name)!;
    yaml.push(`      ${name}: { exec: ["true"]${deps.length ? `, needs: [${deps.join(", ")}]` : ""} }`);
  }
  writeFileSync(join(dir, "dag.yaml"), yaml.join("\n") + "\n");
  const make = [".PHONY: all " + names.join(" "), `all: ${names.join(" ")}`];
  for (const name of names) make.push(`${name}: ${needs.get(name)!.join(" ")}`, "\t@true");
  writeFileSync(join(dir, "Makefile"), make.join("\n") + "\n");

  const spireTimes: number[] = [];
  const spireNodeTimes: number[] = [];
  const makeTimes: number[] = [];
  const bareTimes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareTimes.push(await bareNodeDag(names, needs));
    makeTimes.push(await timeCommand("make", ["-s", "-j2", "-f", join(dir, "Makefile"), "all"], { cwd: dir }));
    const spireRun = (name: string, spawner: string | undefined) =>
      timeCommand(process.execPath, spireArgv("run", "-f", join(dir, "dag.yaml"), "--parallelism", "2"), { env: { ...process.env, SPIRE_DATA: join(dir, `data-${name}-${round}`), SPIRE_SPAWNER: spawner } });
    // Which of the two goes first alternates: the second finds the page cache warmer.
    for (const side of round % 2 === 0 ? ["native", "node"] : ["node", "native"]) {
      if (side === "native") spireTimes.push(await spireRun(side, undefined));
      else spireNodeTimes.push(await spireRun(side, "node"));
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const spireBest = Math.min(...spireTimes);
  const makeBest = Math.min(...makeTimes);
  const ratio = spireBest / makeBest;
  console.log(`bench/dag: ${TASKS} no-op tasks in ${LAYERS} layers, 2 needs each, parallelism 2, best of ${ROUNDS}`);
  console.log(`machine: ${machine()}`);
  console.log(`  make -j2     ${makeBest.toFixed(0).padStart(6)} ms   (all: ${makeTimes.map((ms) => ms.toFixed(0)).join(", ")})`);
  console.log(`  bare Node    ${Math.min(...bareTimes).toFixed(0).padStart(6)} ms   (the same graph by a bare spawn loop, no capture: the floor for Node; all: ${bareTimes.map((ms) => ms.toFixed(0)).join(", ")})`);
  console.log(`  spire run    ${spireBest.toFixed(0).padStart(6)} ms   (all: ${spireTimes.map((ms) => ms.toFixed(0)).join(", ")}; start-up, parse and plan included; the native spawner)`);
  console.log(`  Node's spawn ${Math.min(...spireNodeTimes).toFixed(0).padStart(6)} ms   (spire run with SPIRE_SPAWNER=node; all: ${spireNodeTimes.map((ms) => ms.toFixed(0)).join(", ")})`);
  console.log(`  ratio        ${ratio.toFixed(2)}× make   (target ≤ 1.5×: ${ratio <= 1.5 ? "met" : "NOT met"})`);
  saveResult("dag", { tasks: TASKS, layers: LAYERS, make_ms: makeTimes, bare_node_ms: bareTimes, spire_ms: spireTimes, spire_node_spawn_ms: spireNodeTimes, ratio });
}

await main();
