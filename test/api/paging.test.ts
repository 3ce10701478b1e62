/**
 * Paging cursors: every paged route follows its own next_cursor to the end,
 * and refuses (400, naming the parameter and what a cursor is) a cursor that
 * no page could have given, instead of answering an empty or arbitrary page.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { errorOf, finishedRun, startApi, type Api } from "./harness.js";

checkNoLeftoverProcesses();

const YAML = `
pipelines:
  chatty:
    tasks:
      talk: { run: 'for i in 1 2 3 4 5; do echo "line $i"; done' }
`;

/** A new run of `chatty`, once it has ended. */
async function endedRun(api: Api): Promise<string> {
  const response = await api.call("POST", "/pipelines/test/chatty/runs", { as: "run", body: {} });
  assert.equal(response.status, 201);
  const { id } = (await response.json()) as { id: string };
  await finishedRun(api, id);
  return id;
}

async function assertBadCursor(api: Api, path: string, parameter: string, expected: RegExp): Promise<void> {
  const response = await api.call("GET", path);
  assert.equal(response.status, 400, `${path} → ${response.status}`);
  const error = await errorOf(response);
  assert.equal(error.code, "bad_request", path);
  assert.match(error.message, new RegExp(`${parameter}: `), `${path}: names the parameter`);
  assert.match(error.message, expected, path);
  assert.ok(Array.isArray(error.details) && (error.details as string[]).some((line) => line.includes(parameter)), `${path}: details name it`);
}

test("GET /runs: next_cursor pages through every run; a cursor that is no run id is a 400 that says what a cursor is", async (t) => {
  const api = await startApi(t);
  await api.apply(YAML);
  const ids = [await endedRun(api), await endedRun(api), await endedRun(api)];
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page = (await (await api.call("GET", `/runs?limit=1${cursor ? `&cursor=${cursor}` : ""}`)).json()) as { runs: { id: string }[]; next_cursor: string | null };
    seen.push(...page.runs.map((run) => run.id));
    cursor = page.next_cursor;
  } while (cursor !== null);
  assert.deepEqual(seen, [...ids].reverse());

  // "garbage" and "zzzzzzzzzzzzzzzz" used to page by id order: every run, as if from the top.
  for (const bad of ["garbage", "zzzzzzzzzzzzzzzz", "0000000000000000x", "%00", "../x", "01M92JXKD16F3HNG", ""]) {
    await assertBadCursor(api, `/runs?cursor=${encodeURIComponent(bad)}`, "cursor", /next_cursor of a previous page/);
  }
});

test("a task's logs: the Spire-Next-Cursor pages to the end; a cursor that is not where a line starts is a 400", async (t) => {
  const api = await startApi(t);
  await api.apply(YAML);
  const id = await endedRun(api);
  const lines: string[] = [];
  let cursor: string | null = null;
  do {
    const response = await api.call("GET", `/runs/${id}/tasks/talk/logs?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
    assert.equal(response.status, 200);
    lines.push(...(await response.text()).trim().split("\n").map((line) => (JSON.parse(line) as { line: string }).line));
    cursor = response.headers.get("spire-next-cursor");
  } while (cursor !== null);
  assert.deepEqual(lines, ["line 1", "line 2", "line 3", "line 4", "line 5"]);

  const second = (await api.call("GET", `/runs/${id}/tasks/talk/logs?limit=1`)).headers.get("spire-next-cursor")!;
  // Inside a line (it used to read from there and make up a timestamp), past the end, not a number.
  for (const bad of [String(Number(second) - 3), String(Number(second) + 1), "99999999", "1"]) {
    await assertBadCursor(api, `/runs/${id}/tasks/talk/logs?cursor=${bad}`, "cursor", /Spire-Next-Cursor/);
  }
  for (const bad of ["garbage", "-5", "1e3"]) {
    await assertBadCursor(api, `/runs/${id}/tasks/talk/logs?cursor=${bad}`, "cursor", /Spire-Next-Cursor/);
  }
});

test("/audit and /missed page by before=next_cursor; anything but a whole number is a 400 that says what a cursor is", async (t) => {
  const api = await startApi(t);
  await api.apply(YAML);
  await endedRun(api);
  await endedRun(api);
  const actions: string[] = [];
  let before: number | null = null;
  do {
    const page = (await (await api.call("GET", `/audit?limit=1${before !== null ? `&before=${before}` : ""}`)).json()) as { entries: { action: string }[]; next_cursor: number | null };
    actions.push(...page.entries.map((entry) => entry.action));
    before = page.next_cursor;
  } while (before !== null);
  assert.deepEqual(actions, ["run.start", "run.start", "apply"]);

  for (const path of ["/audit", "/pipelines/test/chatty/missed"]) {
    for (const bad of ["garbage", "", "0", "-1", "1.5"]) {
      await assertBadCursor(api, `${path}?before=${bad}`, "query.before", /next_cursor of a previous page/);
    }
  }
  for (const bad of ["garbage", "-1"]) {
    await assertBadCursor(api, `/runs/0000000000000000/events?after=${bad}`, "query.after", /id of an event/);
  }
});
