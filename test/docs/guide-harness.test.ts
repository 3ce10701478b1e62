/** The harness that runs the guides: it does what a guide says, and it fails when a guide says what is not so. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { fencedBlocks, runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

const fence = "```";

const GUIDE = `# A guide

Write this file:

${fence}yaml file=spire.yaml
pipelines:
  hello:
    tasks:
      greet: { run: echo "hello from a guide" }
${fence}

${fence}sh
spire validate
${fence}

${fence}sh
spire run hello
spire logs last greet
${fence}

${fence}output
… greet succeeded
hello from a guide
${fence}

${fence}sh exit=2
spire run nosuch
${fence}

In another terminal:

${fence}sh background
spire engine
${fence}

${fence}sh
spire ls
${fence}

${fence}output
hello
${fence}

${fence}sh norun
systemctl --user status spire   # not on this machine
${fence}
`;

test("a guide's files are written and its commands run in order, against an engine it starts (on a port of its own: 7431 may be taken)", async (t) => {
  await withDefaultPortTaken(async () => {
  const dir = tempDir(t);
  const path = join(dir, "guide.md");
  writeFileSync(path, GUIDE);
  assert.deepEqual(
    fencedBlocks(GUIDE).map((block) => block.info),
    ["yaml file=spire.yaml", "sh", "sh", "output", "sh exit=2", "sh background", "sh", "output", "sh norun"],
  );
  const run = await runGuide(t, path);
  assert.equal(run.outputs.length, 4, "the four blocks that are run, not the one shown only");
  assert.match(run.outputs[2]!.stderr, /spire.yaml has no pipeline "nosuch"/);
  });
});

test("a guide that says what the command does not print fails, naming the guide's line", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "guide.md");
  writeFileSync(path, `${fence}sh\necho one\necho two\n${fence}\n\n${fence}output\ntwo\none\n${fence}\n`);
  await assert.rejects(runGuide(t, path), /guide\.md:6: the guide shows "one", which is not in what the command printed \(in this order\)/);
  writeFileSync(path, `${fence}sh\nfalse\n${fence}\n`);
  await assert.rejects(runGuide(t, path), /guide\.md:1: exit 1, the guide says 0/);
});

/** Something listens on 127.0.0.1:7431 while `body` runs: a server of this test's, or whoever holds the port already. */
async function withDefaultPortTaken<T>(body: () => Promise<T>): Promise<T> {
  const server = createServer((socket) => socket.destroy());
  const listening = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false)); // taken already: as good
    server.listen(7431, "127.0.0.1", () => resolve(true));
  });
  try {
    return await body();
  } finally {
    if (listening) await new Promise((resolve) => server.close(resolve));
  }
}

test("a guide's engine and the 7431 in its commands and output are a port of the test's own, so guides run beside another engine", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "guide.md");
  writeFileSync(
    path,
    [
      `${fence}sh background\nspire engine\n${fence}`,
      `${fence}sh\ncurl -fsS http://127.0.0.1:7431/api/v1/health\necho\ncat "$SPIRE_DATA/engine.json"\n${fence}`,
      `${fence}output\n"status":"ok"\n"url":"http://127.0.0.1:7431"\n${fence}`,
      "",
    ].join("\n\n"),
  );
  const run = await withDefaultPortTaken(() => runGuide(t, path));
  const { url } = JSON.parse(run.outputs[0]!.stdout.split("\n")[1]!) as { url: string };
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(url, "http://127.0.0.1:7431");
});

test("a stop block ends what the last background block started, so a guide can start its engine again with other options", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "guide.md");
  writeFileSync(
    path,
    [
      `${fence}sh background\nspire engine\n${fence}`,
      `${fence}sh exit=22\ncurl -fsS -H "Host: localhost:8431" http://127.0.0.1:7431/api/v1/health\n${fence}`,
      `${fence}sh stop\n# Ctrl-C where the engine runs\n${fence}`,
      `${fence}sh background\nspire engine --allow-host localhost:8431\n${fence}`,
      `${fence}sh\ncurl -fsS -H "Host: localhost:8431" http://127.0.0.1:7431/api/v1/health\n${fence}`,
      `${fence}output\n"status":"ok"\n${fence}`,
      "",
    ].join("\n\n"),
  );
  const run = await runGuide(t, path);
  assert.equal(run.outputs.length, 2);
  writeFileSync(path, `${fence}sh stop\n# Ctrl-C\n${fence}\n`);
  await assert.rejects(runGuide(t, path), /guide\.md:1: a stop block needs something started by a background block that still runs/);
});

test("what a block exports is set in the blocks after it, as in one terminal, and a block's exit code stays its own", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "guide.md");
  writeFileSync(
    path,
    [
      `${fence}sh\nexport GREETING="hello 'there'"\ncd /\n${fence}`,
      `${fence}sh exit=3\necho "$GREETING from $(basename "$PWD")"\nexit 3\n${fence}`,
      `${fence}output\nhello 'there' from spire-guide-\n${fence}`,
      "",
    ].join("\n\n"),
  );
  const run = await runGuide(t, path);
  assert.equal(run.outputs[1]!.code, 3);
});
