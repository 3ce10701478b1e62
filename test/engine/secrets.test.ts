/**
 * Secrets (env_file values, `secrets:` from the engine's environment, secret
 * arguments) are used by tasks but found nowhere else: not in any file of
 * the data folder (the database, its WAL, logs, records), not in the
 * engine's own output, not in any API answer. A real engine, grepped.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine, waitForState } from "../helpers/engine.js";

checkNoLeftoverProcesses();

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test("a secret is nowhere in the data folder, the database, the engine's output or the API's answers", async (t) => {
  const data = tempDir(t);
  const project = tempDir(t);
  const fromFile = `file-${randomBytes(8).toString("hex")}`;
  const fromEngine = `engine-${randomBytes(8).toString("hex")}`;
  const fromArg = `arg-${randomBytes(8).toString("hex")}`;
  const secrets = [fromFile, fromEngine, fromArg];
  const headers: string[] = [];
  const server = createServer((request, response) => {
    headers.push(String(request.headers.authorization));
    response.end(`echoed ${String(request.headers.authorization)}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  writeFileSync(join(project, ".env"), `API_KEY=${fromFile}\n`);
  const file = pipelineFile(
    project,
    `namespace: s
pipelines:
  leak:
    env_file: .env
    secrets: [DEPLOY_TOKEN]
    args:
      pass: { secret: true }
    tasks:
      say:
        run: |
          echo "token=$DEPLOY_TOKEN" >> "$SPIRE_OUTPUT"
          echo "plain $API_KEY $DEPLOY_TOKEN $SPIRE_ARG_PASS"
          echo "$DEPLOY_TOKEN" >&2
          echo "::output::key=$API_KEY"
          echo "::warning::saw $SPIRE_ARG_PASS"
      call:
        http: { url: "${url}", headers: { authorization: "Bearer \${{ args.pass }}" } }
      fail:
        needs: [say]
        run: 'echo "last words $API_KEY"; exit 3'
`,
  );
  const engine = await startEngine(t, data, [], { DEPLOY_TOKEN: fromEngine });
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);
  const started = await spire(["run", "leak", "--arg", `pass=${fromArg}`, "--detach"], { data });
  assert.equal(started.code, 0, started.stderr);
  const id = started.stdout.trim();
  const run = await waitForState(data, id, "failed");
  assert.equal(run.state, "failed");
  assert.deepEqual(headers, [`Bearer ${fromArg}`], "the task itself got the real value");

  // Everything a client can read.
  const { url: base } = JSON.parse(readFileSync(join(data, "engine.json"), "utf8")) as { url: string };
  const token = readFileSync(join(data, "token"), "utf8").trim();
  const get = async (path: string) => (await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } })).text();
  const answers = await Promise.all([
    get(`/runs/${id}`),
    get(`/runs/${id}/events`),
    get(`/runs/${id}/definition`),
    get(`/runs/${id}/tasks/say/logs`),
    get(`/runs/${id}/tasks/call/logs`),
    get(`/runs/${id}/tasks/fail/logs`),
    get("/runs"),
    get("/pipelines/s/leak"),
    get("/audit"),
  ]);
  const shown = await spire(["show", id], { data });
  const logs = await spire(["logs", id], { data });
  assert.match(answers[3]!, /plain \*\*\* \*\*\* \*\*\*/, "the log is there, masked");
  assert.match(answers[0]!, /"key":"\*\*\*"/, "marker outputs are masked");
  assert.match(answers[0]!, /"token":"\*\*\*"/, "SPIRE_OUTPUT, written before anything else, is read and masked");
  const say = (JSON.parse(answers[0]!) as { tasks: { path: string; messages: { level: string; text: string }[] }[] }).tasks.find((task) => task.path === "say");
  assert.deepEqual(say?.messages.map((message) => [message.level, message.text]), [["warning", "saw ***"]], "a warning's kept text is masked, through the supervisor");
  await stopEngine(engine);
  const { stdout, stderr } = await engine.exit;

  const places: [string, string][] = [
    ...filesUnder(data).map((path): [string, string] => [path, readFileSync(path).toString("latin1")]),
    ["engine output", stdout + stderr],
    ["spire show", shown.stdout + shown.stderr],
    ["spire logs", logs.stdout + logs.stderr],
    ...answers.map((text, index): [string, string] => [`API answer ${index}`, text]),
  ];
  assert.ok(places.some(([path]) => path.endsWith("spire.db")), "the database is among the files searched");
  for (const [where, text] of places) for (const secret of secrets) assert.equal(text.includes(secret), false, `${secret.split("-")[0]} secret found in ${where}`);
});
