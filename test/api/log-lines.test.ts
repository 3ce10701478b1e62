/**
 * A task's log by line number (GET …/logs?from_line=, tail=): any window of
 * either stream or both is the window a read of the whole log gives, with
 * the view's line count; a live log counts the lines it has so far; a
 * window mixed with a cursor or a time, or a number out of range, is a 400
 * naming the parameter.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { errorOf, finishedRun, startApi, type Api } from "./harness.js";

checkNoLeftoverProcesses();

interface Line {
  ts: number;
  stream: string;
  line: string;
}

const LINES = 3000;

const YAML = `
pipelines:
  chatty:
    tasks:
      talk:
        run: |
          i=0
          while [ $i -lt ${LINES} ]; do
            if [ $((i % 3)) -eq 0 ]; then echo "err $i" >&2; else echo "out $i"; fi
            i=$((i + 1))
          done
  live:
    tasks:
      wait:
        run: |
          echo one; echo two >&2
          while [ ! -e "$GO" ]; do sleep 0.02; done
          echo three
        env: { GO: "\${{ args.go }}" }
    args:
      go: { required: true }
`;

async function started(api: Api, pipeline: string, args: Record<string, unknown> = {}): Promise<string> {
  const response = await api.call("POST", `/pipelines/test/${pipeline}/runs`, { as: "run", body: { args } });
  assert.equal(response.status, 201, await response.clone().text());
  return ((await response.json()) as { id: string }).id;
}

function parse(text: string): Line[] {
  return text === "" ? [] : text.trimEnd().split("\n").map((line) => JSON.parse(line) as Line);
}

/** A window and the headers that place it. */
async function window(api: Api, id: string, task: string, query: string): Promise<{ lines: Line[]; total: number; first: number }> {
  const response = await api.call("GET", `/runs/${id}/tasks/${task}/logs?${query}`, { as: "read" });
  assert.equal(response.status, 200, `${query}: ${await response.clone().text()}`);
  return { lines: parse(await response.text()), total: Number(response.headers.get("spire-total-lines")), first: Number(response.headers.get("spire-first-line")) };
}

/** The whole log of a view, read by cursor as the CLI reads it. */
async function wholeLog(api: Api, id: string, task: string, stream?: string): Promise<Line[]> {
  const lines: Line[] = [];
  let cursor: string | null = null;
  do {
    const response = await api.call("GET", `/runs/${id}/tasks/${task}/logs?limit=700${stream ? `&stream=${stream}` : ""}${cursor ? `&cursor=${cursor}` : ""}`);
    assert.equal(response.headers.get("spire-total-lines"), null, "a cursor page says no count: reading by cursor costs what it did");
    lines.push(...parse(await response.text()));
    cursor = response.headers.get("spire-next-cursor");
  } while (cursor !== null);
  return lines;
}

test("from_line and tail give the windows a whole read gives, both streams merged or one, with the view's count", async (t) => {
  const api = await startApi(t);
  await api.apply(YAML);
  const id = await started(api, "chatty");
  await finishedRun(api, id);
  for (const stream of [undefined, "stdout", "stderr"]) {
    const whole = await wholeLog(api, id, "talk", stream);
    assert.equal(whole.length, stream === undefined ? LINES : stream === "stderr" ? LINES / 3 : (LINES * 2) / 3);
    const view = stream ? `&stream=${stream}` : "";
    for (const [from, limit] of [[0, 200], [1, 1], [255, 3], [256, 300], [whole.length - 200, 200], [whole.length - 1, 50]] as const) {
      const page = await window(api, id, "talk", `from_line=${from}&limit=${limit}${view}`);
      assert.deepEqual(page.lines, whole.slice(from, from + limit), `${stream ?? "both"} from ${from}`);
      assert.deepEqual([page.total, page.first], [whole.length, from]);
    }
    const end = await window(api, id, "talk", `tail=200${view}`);
    assert.deepEqual(end.lines, whole.slice(-200), `${stream ?? "both"}: the last screen`);
    assert.deepEqual([end.total, end.first], [whole.length, whole.length - 200]);
    const past = await window(api, id, "talk", `from_line=${whole.length}${view}`);
    assert.deepEqual([past.lines, past.total, past.first], [[], whole.length, whole.length], "past the end: no lines, and the count");
  }
  const everything = await window(api, id, "talk", `tail=10000`);
  assert.deepEqual([everything.lines.length, everything.first], [LINES, 0], "a tail longer than the log is all of it");
  const defaultPage = await window(api, id, "talk", "from_line=10");
  assert.equal(defaultPage.lines.length, 1000, "a window holds 1000 lines unless limit says");
});

test("a live log: the count grows as the task prints, and tail gives its newest lines", async (t) => {
  const api = await startApi(t);
  await api.apply(YAML);
  const go = join(api.dir, "go");
  const id = await started(api, "live", { go });
  let page = await window(api, id, "wait", "tail=10");
  for (const deadline = Date.now() + 10_000; page.total < 2 && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    page = await window(api, id, "wait", "tail=10");
  }
  assert.deepEqual(page.lines.map((line) => line.line).sort(), ["one", "two"]);
  assert.equal((await window(api, id, "wait", "tail=1&stream=stderr")).lines[0]?.line, "two");
  writeFileSync(go, "");
  await finishedRun(api, id);
  const after = await window(api, id, "wait", "tail=1");
  assert.deepEqual([after.lines.map((line) => line.line), after.total, after.first], [["three"], 3, 2]);
  assert.equal((await window(api, id, "wait", "from_line=0&stream=stdout")).total, 2);
});

test("a window is a 400 naming the parameter when it is out of range or mixed with cursor or since; a missing attempt is a 404", async (t) => {
  const api = await startApi(t);
  await api.apply(YAML);
  const id = await started(api, "chatty");
  await finishedRun(api, id);
  const cursor = (await api.call("GET", `/runs/${id}/tasks/talk/logs?limit=1`)).headers.get("spire-next-cursor")!;
  const cases: [string, RegExp][] = [
    ["from_line=-1", /query\.from_line: expected a line number/],
    ["from_line=abc", /query\.from_line: expected a line number/],
    ["from_line=1.5", /query\.from_line: expected a line number/],
    ["tail=0", /query\.tail: expected how many of the last lines/],
    ["tail=10001", /query\.tail: expected how many of the last lines/],
    ["from_line=1&tail=5", /from_line and tail: give one of them/],
    [`from_line=1&cursor=${cursor}`, /from_line: cannot be given with cursor/],
    [`tail=5&cursor=${cursor}`, /tail: cannot be given with cursor/],
    ["tail=5&since=0", /tail: cannot be given with since/],
    ["from_line=0&limit=0", /query\.limit: expected a whole number from 1 to 10000/],
  ];
  for (const [query, message] of cases) {
    const response = await api.call("GET", `/runs/${id}/tasks/talk/logs?${query}`);
    assert.equal(response.status, 400, query);
    const error = await errorOf(response);
    assert.equal(error.code, "bad_request", query);
    assert.match(error.message, message, query);
  }
  const noAttempt = await api.call("GET", `/runs/${id}/tasks/talk/logs?from_line=0&attempt=5`);
  assert.equal(noAttempt.status, 404);
  assert.match((await errorOf(noAttempt)).message, /has no attempt 5/);
  assert.equal((await api.call("GET", `/runs/${id}/tasks/nope/logs?tail=5`)).status, 404);
});

test("the OpenAPI document describes the window: from_line, tail, and the headers that place it", async (t) => {
  const api = await startApi(t);
  const document = (await (await api.call("GET", "/openapi.json", { as: "read" })).json()) as {
    paths: Record<string, Record<string, { parameters: { name: string; description?: string }[]; responses: Record<string, { headers?: Record<string, { description: string }> }> }>>;
  };
  const operation = document.paths["/api/v1/runs/{id}/tasks/{task}/logs"]!.get!;
  for (const name of ["from_line", "tail", "stream", "limit"]) assert.ok(operation.parameters.find((p) => p.name === name)?.description, name);
  assert.deepEqual(Object.keys(operation.responses["200"]!.headers ?? {}), ["Spire-Next-Cursor", "Spire-Total-Lines", "Spire-First-Line"]);
});
