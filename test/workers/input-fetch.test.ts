/**
 * A worker fetches the files of the tasks an attempt reads before it starts
 * (src/worker/artifacts.ts). Two attempts of a run on one machine that read
 * the same task's files each fetch them: the second must not rewrite in place
 * a file the first one's process may be reading (workers/remote.test.ts saw a
 * task read it empty). The engine's side is a stand-in here (the link is the
 * worker's port to it); the whole path runs for real in remote.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fetchInputs, type ArtifactContext } from "../../src/worker/artifacts.js";
import type { EngineLink } from "../../src/worker/engine-link.js";
import { tempDir } from "../helpers/tmp.js";

const CONTENT = "made on w1\n";

function context(dataDir: string): ArtifactContext {
  const link = {
    inputs: async () => [{ task: "make", name: "out/result.txt", size: CONTENT.length }],
    inputFile: async () => Buffer.from(CONTENT),
  } as unknown as EngineLink;
  return { link, worker: "w2", session: () => "session", dataDir };
}

test("a file already fetched is replaced whole, never rewritten in place: a reader that has it open reads all of it", async (t) => {
  const dataDir = tempDir(t);
  const file = join(dataDir, "runs", "r1", "artifacts", "make", "out", "result.txt");
  assert.equal(await fetchInputs(context(dataDir), "r1:use:1", undefined, true), 1);
  const reader = openSync(file, "r");
  t.after(() => closeSync(reader));
  const before = statSync(file).ino;
  assert.equal(await fetchInputs(context(dataDir), "r1:checks/inner:1", undefined, true), 1);
  assert.notEqual(statSync(file).ino, before, "the second fetch put a new file in place");
  const buffer = Buffer.alloc(64);
  assert.equal(buffer.subarray(0, readSync(reader, buffer, 0, 64, 0)).toString(), CONTENT, "the first reader's file is whole");
  assert.equal(readFileSync(file, "utf8"), CONTENT);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(join(dataDir, "runs", "r1", "artifacts", "make", "out")), ["result.txt"], "no temporary file left");
});
