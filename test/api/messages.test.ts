/**
 * The texts of a task's warnings and errors in the run object (GET
 * /runs/{id}): the first 100 of each kind, in order, masked as in the log,
 * while the counts count them all; documented in the OpenAPI TaskRun.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { finishedRun, startApi } from "./harness.js";

checkNoLeftoverProcesses();

const PIPELINE = `
pipelines:
  noisy:
    args:
      pass: { secret: true }
    tasks:
      talk:
        error_pattern: "^FATAL"
        run: |
          i=1; while [ $i -le 150 ]; do echo "::warning::warning number $i"; i=$((i+1)); done
          echo "::error::first error"
          echo "FATAL: found by the pattern"
          echo "::error::the password is $SPIRE_ARG_PASS"
      quiet:
        run: echo nothing to say
`;

interface Message {
  level: string;
  text: string;
  ts: string;
  stream: string;
}
interface Task {
  path: string;
  warnings: number;
  errors: number;
  messages: Message[];
  started_at: string;
  finished_at: string;
}

interface Run {
  id: string;
  warnings: number;
  errors: number;
  tasks: Task[];
}

test("the run object lists the first 100 warnings' texts in order, the errors' too, masked, with the counts of them all", async (t) => {
  const api = await startApi(t);
  await api.apply(PIPELINE);
  const secret = "hunter2-correct-horse";
  const started = await api.call("POST", "/pipelines/test/noisy/runs", { as: "run", body: { args: { pass: secret } } });
  assert.equal(started.status, 201, await started.clone().text());
  const run = (await finishedRun(api, ((await started.json()) as { id: string }).id)) as Run;
  const talk = run.tasks.find((task) => task.path === "talk")!;
  assert.equal(talk.warnings, 150, "the count is of every warning");
  assert.equal(talk.errors, 3);
  assert.equal(run.warnings, 150);
  const warnings = talk.messages.filter((message) => message.level === "warning");
  assert.deepEqual(
    warnings.map((message) => message.text),
    Array.from({ length: 100 }, (_, i) => `warning number ${i + 1}`),
  );
  assert.deepEqual(
    talk.messages.filter((message) => message.level === "error").map((message) => message.text),
    ["first error", "FATAL: found by the pattern", "the password is ***"],
  );
  for (const message of talk.messages) {
    assert.equal(message.stream, "stdout");
    assert.ok(message.ts >= talk.started_at && message.ts <= talk.finished_at, `${message.ts} within the task's run`);
  }
  assert.deepEqual(run.tasks.find((task) => task.path === "quiet")!.messages, [], "a task without warnings has none");
  const answer = await (await api.call("GET", `/runs/${run.id}`)).text();
  assert.ok(!answer.includes(secret), "the secret is in no answer");

  const doc = (await (await api.call("GET", "/openapi.json", { as: "read" })).json()) as { components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
  assert.deepEqual(Object.keys(doc.components.schemas.TaskMessage!.properties).sort(), ["level", "stream", "text", "ts"]);
});
