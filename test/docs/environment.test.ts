/**
 * The ENVIRONMENT and FILES parts of the reference (cli.md, spire(1)) are
 * written by hand in src/docs/environment.ts: they are held to the variables
 * the code reads and to what a real engine leaves in its data folder.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DATA_FILES, ENVIRONMENT } from "../../src/docs/environment.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { REPO_ROOT, spire } from "../helpers/cli.js";
import { startEngine, stopEngine } from "../helpers/engine.js";

checkNoLeftoverProcesses();

function sources(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    return entry.isDirectory() ? sources(path) : entry.name.endsWith(".ts") ? [path] : [];
  });
}

test("every SPIRE_ or XDG_ variable the code reads from its environment is in the reference's ENVIRONMENT", () => {
  const read = new Set<string>();
  for (const file of sources(join(REPO_ROOT, "src"))) {
    for (const match of readFileSync(file, "utf8").matchAll(/process\.env(?:\.|\[["'])((?:SPIRE|XDG)_[A-Z_]+)/g)) read.add(match[1]!);
  }
  assert.ok(read.has("SPIRE_DATA"), "the scan finds what the code reads");
  const documented = new Set(ENVIRONMENT.map((entry) => entry.name));
  assert.deepEqual([...read].filter((name) => !documented.has(name)).sort(), []);
});

test("the reference's FILES are what an engine and a run leave in the data folder, no more and no less", async (t) => {
  const data = join(tempDir(t), "data");
  // A run with no engine running first (its process says so in in-process/).
  const alone = await spire(["run", "--", "true"], { data });
  assert.equal(alone.code, 0, alone.stderr);
  // With prunner's API on (any free port), which keeps its secret there too.
  const engine = await startEngine(t, data, ["--prunner", "127.0.0.1:0"]);
  const ran = await spire(["run", "--", "true"], { data });
  assert.equal(ran.code, 0, ran.stderr);
  // While the engine runs: its address file and socket are there only then.
  const present = readdirSync(data, { withFileTypes: true }).map((entry) => (entry.isDirectory() ? `${entry.name}/` : entry.name));
  await stopEngine(engine);
  // A documented file stands for its companions (the database's -wal and -shm, the socket's .pid).
  const documented = DATA_FILES.map((entry) => entry.name);
  const owner = (name: string) => documented.find((known) => name === known || name.startsWith(`${known}-`) || name.startsWith(`${known}.`));
  assert.deepEqual(present.filter((name) => owner(name) === undefined), [], "in the data folder but not in FILES");
  assert.deepEqual(documented.filter((name) => !present.includes(name)), [], "in FILES but not in the data folder");
});
