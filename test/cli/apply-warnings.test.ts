/**
 * spire apply says every warning spire validate says about the same file
 * (those only the file's folder shows, such as a watched path not there
 * yet, included), and then what only the engine knows, each once: with no
 * engine (the data folder) and through a running engine alike.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

const FILE = `namespace: home
pipelines:
  party:
    triggers:
      - at: "2020-01-01T18:00:00+01:00"
      - watch: ./inbox
    tasks:
      t: { run: "true" }
  tidy:
    triggers:
      - after: { pipeline: other/backup }
    tasks:
      t: { run: "true" }
`;

const warningLines = (stderr: string): string[] => stderr.split("\n").filter((line) => line.includes("  warning: "));

test("apply says the warnings validate says, then the engine's own, each once: with no engine and through one", async (t) => {
  const data = tempDir(t);
  const file = pipelineFile(data, FILE);
  const validated = await spire(["validate", "-f", file], { data });
  assert.equal(validated.code, 0, validated.stderr);
  const checked = warningLines(validated.stderr);
  assert.equal(checked.length, 2, validated.stderr);
  assert.match(checked[1]!, /watch: "\.\/inbox" does not exist yet/);
  const engines = `${file}:11:28  warning: pipelines.tidy.triggers[0].after.pipeline: the engine has no pipeline other/backup yet; this trigger starts nothing until one is applied — spire ls lists the pipelines the engine has`;

  const alone = await spire(["apply", "-f", file], { data });
  assert.equal(alone.code, 0, alone.stderr);
  assert.deepEqual(warningLines(alone.stderr), [...checked, engines], alone.stderr);
  const json = JSON.parse((await spire(["apply", "-f", file, "--dry-run", "--json"], { data })).stdout);
  assert.deepEqual(json.warnings.map((warning: { keyPath: string }) => warning.keyPath), ["pipelines.party.triggers[0].at", "pipelines.party.triggers[1].watch", "pipelines.tidy.triggers[0].after.pipeline"]);

  const engine = await startEngine(t, data);
  const through = await spire(["apply", "-f", file], { data });
  assert.equal(through.code, 0, through.stderr);
  assert.deepEqual(warningLines(through.stderr), [...checked, engines], through.stderr);
  // Typed as a user in the file's folder does: named as typed, and still each once.
  const here = { data, cwd: data };
  const [validatedHere, appliedHere] = [await spire(["validate"], here), await spire(["apply"], here)];
  assert.equal(appliedHere.code, 0, appliedHere.stderr);
  assert.deepEqual(warningLines(appliedHere.stderr), [...warningLines(validatedHere.stderr), engines.replace(`${file}:`, "spire.yaml:")], appliedHere.stderr);
  await stopEngine(engine);
});
