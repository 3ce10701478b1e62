/**
 * The tools bench/dag runs on its graph: Spire, the C posix_spawn floor, and
 * the peers a user would pick instead (make, ninja, doit, snakemake). Each
 * writes its own file for the graph — every task running a given shell
 * command, so that a check run can record which tasks ran and in what order
 * — and says how to run it at parallelism 2 from a fresh state.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, spireArgv, spireEnv } from "./lib.js";

export interface Graph {
  names: string[];
  needs: Map<string, string[]>;
}

/** The shell command a task runs: `true` when timed, an append to a log when checked. */
export type TaskCommand = (name: string) => string;

export interface Invocation {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface Tool {
  label: string;
  /** The program that must be on PATH; the tool is skipped without it. */
  binary: string;
  /** Writes the tool's files for the graph into dir (an empty directory of its own). */
  write(dir: string, graph: Graph, command: TaskCommand): void;
  /** How to run the graph once; each round gets its own state (no up-to-date checks carried over). */
  invocation(dir: string, round: number): Invocation;
}

/** Where `which` finds a program, or undefined. */
export function which(binary: string): string | undefined {
  const found = spawnSync("which", [binary], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** A shell word for a Python or YAML double-quoted string (the commands here have no quotes or backslashes). */
const quoted = (text: string) => JSON.stringify(text);

export const spire: Tool = {
  label: "spire run",
  binary: process.execPath,
  write(dir, { names, needs }, command) {
    const yaml = ["pipelines:", "  dag:", "    tasks:"];
    for (const name of names) {
      const deps = needs.get(name)!;
      const exec = command(name) === "true" ? ["true"] : ["sh", "-c", command(name)];
      yaml.push(`      ${name}: { exec: ${JSON.stringify(exec)}${deps.length ? `, needs: [${deps.join(", ")}]` : ""} }`);
    }
    writeFileSync(join(dir, "dag.yaml"), yaml.join("\n") + "\n");
  },
  invocation: (dir, round) => ({
    command: process.execPath,
    args: spireArgv("run", "-f", join(dir, "dag.yaml"), "--parallelism", "2"),
    env: spireEnv({ ...process.env, SPIRE_DATA: join(dir, `data-${round}`) }),
  }),
};

/** The same with SPIRE_SPAWNER=node: Node's fork-and-exec spawn instead of the native posix_spawn spawner. */
export const spireNodeSpawn: Tool = {
  ...spire,
  label: "spire, Node spawn",
  invocation: (dir, round) => {
    const { command, args, env } = spire.invocation(dir, round);
    return { command, args, env: { ...env, SPIRE_SPAWNER: "node" } };
  },
};

export const make: Tool = {
  label: "make -j2",
  binary: "make",
  write(dir, { names, needs }, command) {
    const lines = [".PHONY: all " + names.join(" "), `all: ${names.join(" ")}`];
    for (const name of names) lines.push(`${name}: ${needs.get(name)!.join(" ")}`, `\t@${command(name)}`);
    writeFileSync(join(dir, "Makefile"), lines.join("\n") + "\n");
  },
  // Phony targets: make keeps no state, every round runs everything.
  invocation: (dir) => ({ command: "make", args: ["-s", "-j2", "-f", join(dir, "Makefile"), "all"] }),
};

export const ninja: Tool = {
  label: "ninja -j2",
  binary: "ninja",
  write(dir, { names, needs }, command) {
    // Outputs that no command creates: ninja finds them missing and runs every edge.
    const lines = ["rule run", "  command = $cmd", ""];
    for (const name of names) lines.push(`build ${name}: run ${needs.get(name)!.join(" ")}`, `  cmd = ${command(name)}`);
    lines.push(`build all: phony ${names.join(" ")}`, "default all");
    writeFileSync(join(dir, "build.ninja"), lines.join("\n") + "\n");
  },
  invocation(dir, round) {
    const build = join(dir, `round-${round}`);
    mkdirSync(build, { recursive: true });
    return { command: "ninja", args: ["-j2", "-f", join(dir, "build.ninja"), "-C", build] };
  },
};

export const doit: Tool = {
  label: "doit -n 2",
  binary: "doit",
  write(dir, { names, needs }, command) {
    // No file_dep and no targets: doit never finds such a task up to date.
    const lines = ["DOIT_CONFIG = {'verbosity': 0}", "GRAPH = ["];
    for (const name of names) lines.push(`    (${quoted(name)}, [${needs.get(name)!.map(quoted).join(", ")}], ${quoted(command(name))}),`);
    lines.push("]", "", "def task_dag():", "    for name, deps, command in GRAPH:", "        yield {'basename': name, 'actions': [command], 'task_dep': deps}", "");
    writeFileSync(join(dir, "dodo.py"), lines.join("\n"));
  },
  // doit's default parallel type: processes (multiprocessing), a fresh dependency file each round.
  invocation: (dir, round) => ({ command: "doit", args: ["-f", join(dir, "dodo.py"), "--db-file", join(dir, `doit-${round}.db`), "-n", "2", "-P", "process"] }),
};

export const snakemake: Tool = {
  label: "snakemake -j2",
  binary: "snakemake",
  write(dir, { names, needs }, command) {
    // Snakemake plans from files: each task touches its own output, which
    // its dependents take as input, so the graph is the same.
    const lines = ["rule all:", `    input: [${names.map((name) => quoted(`t/${name}`)).join(", ")}]`, ""];
    for (const name of names) {
      lines.push(`rule ${name}:`);
      const deps = needs.get(name)!;
      if (deps.length) lines.push(`    input: ${deps.map((dep) => quoted(`t/${dep}`)).join(", ")}`);
      lines.push(`    output: touch(${quoted(`t/${name}`)})`, `    shell: ${quoted(command(name))}`, "");
    }
    writeFileSync(join(dir, "Snakefile"), lines.join("\n"));
  },
  // A fresh working directory each round: no outputs, no .snakemake metadata.
  invocation: (dir, round) => ({ command: "snakemake", args: ["-s", join(dir, "Snakefile"), "-d", join(dir, `round-${round}`), "-j2", "--quiet"] }),
};

/** The floor in C: the same graph run with posix_spawn at parallelism 2 (bench/dag_spawn.c, compiled here). */
export const cFloor: Tool = {
  label: "C posix_spawn",
  binary: "cc",
  write(dir, { names, needs }, command) {
    const compiled = spawnSync("cc", ["-O2", "-o", join(dir, "dag_spawn"), join(REPO_ROOT, "bench", "dag_spawn.c")], { encoding: "utf8" });
    if (compiled.status !== 0) throw new Error(`cc bench/dag_spawn.c failed: ${compiled.stderr}`);
    const index = new Map(names.map((name, position) => [name, position]));
    const lines = [String(names.length)];
    for (const name of names) {
      const deps = needs.get(name)!;
      lines.push([name, deps.length, ...deps.map((dep) => index.get(dep))].join(" "));
    }
    writeFileSync(join(dir, "graph.txt"), lines.join("\n") + "\n");
    // The program puts the task's name for `{}`: `sh -c CMD sh tN` when checked,
    // plain `true` when timed. The path is looked up once here: a floor should
    // not pay for a PATH search per task.
    const probe = command("$1");
    const argv = probe === "true" ? [which("true") ?? "true"] : [which("sh") ?? "sh", "-c", probe, "sh", "{}"];
    writeFileSync(join(dir, "argv.json"), JSON.stringify(argv));
  },
  invocation(dir) {
    const argv = JSON.parse(readFileSync(join(dir, "argv.json"), "utf8")) as string[];
    return { command: join(dir, "dag_spawn"), args: [join(dir, "graph.txt"), "2", ...argv] };
  },
};

export const TOOLS: Tool[] = [cFloor, make, ninja, doit, snakemake, spire, spireNodeSpawn];
