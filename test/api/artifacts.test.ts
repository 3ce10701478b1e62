/**
 * Artifacts through the real engine and API: kept by glob (on failure too),
 * handed to dependents at $SPIRE_ARTIFACTS/../<name> (top level, from inside
 * a group, of an array), listed and downloaded byte for byte, and the
 * download route attacked like the logs route.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { rawRequest, startApi, type Api } from "./harness.js";

checkNoLeftoverProcesses();

interface Run {
  id: string;
  state: string;
  tasks: { path: string; state: string; reason: string | null }[];
}

interface Artifact {
  task: string;
  name: string;
  size: number;
  url: string;
}

async function runToEnd(api: Api): Promise<Run> {
  const started = await api.call("POST", "/pipelines/test/p/runs", { as: "run", body: {} });
  assert.equal(started.status, 201, await started.clone().text());
  return endOf(api, ((await started.json()) as Run).id);
}

async function endOf(api: Api, id: string): Promise<Run> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const run = (await (await api.call("GET", `/runs/${id}`, { as: "read" })).json()) as Run;
    if (!["queued", "running"].includes(run.state)) return run;
    if (Date.now() > deadline) assert.fail(`run ${id} is still ${run.state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function artifactsOf(api: Api, id: string): Promise<Artifact[]> {
  const response = await api.call("GET", `/runs/${id}/artifacts`, { as: "read" });
  assert.equal(response.status, 200);
  return ((await response.json()) as { artifacts: Artifact[] }).artifacts;
}

async function download(api: Api, url: string): Promise<Response> {
  return fetch(`${api.url}${url}`, { headers: { authorization: `Bearer ${api.tokens.read}` } });
}

/** The API over a fresh data folder, with one pipeline `p` of these tasks (YAML at the indentation of `tasks:` entries). */
async function withTasks(t: Parameters<typeof tempDir>[0], tasks: (work: string, dataDir: string) => string): Promise<{ api: Api; work: string; blob: Buffer }> {
  const api = await startApi(t);
  const { work, blob } = workFolder(t);
  await api.apply(`pipelines:\n  p:\n    tasks:\n${tasks(work, api.dir)}`);
  return { api, work, blob };
}

/** A working folder outside the data folder, with files the pipeline's first task does not make. */
function workFolder(t: Parameters<typeof tempDir>[0]): { work: string; blob: Buffer } {
  const work = tempDir(t, "spire-work-");
  const blob = randomBytes(200_000);
  writeFileSync(join(work, "blob.bin"), blob);
  return { work, blob };
}

test("kept by glob with sub-paths, handed to dependents (top level, inside a group, of an array), listed and downloaded byte for byte", async (t) => {
  const { api, work, blob } = await withTasks(t, (work) => `
      make:
        cwd: ${JSON.stringify(work)}
        run: mkdir -p out/deep && printf 'report' > out/deep/a.txt && printf 'x' > out/skip.log && printf 'top' > top.txt
        artifacts: ["out/**/*.txt", "*.bin", "top.txt"]
      use:
        needs: [make]
        run: cmp "$SPIRE_ARTIFACTS/../make/blob.bin" ${JSON.stringify(join(work, "blob.bin"))} && cat "$SPIRE_ARTIFACTS/../make/out/deep/a.txt" > "$SPIRE_ARTIFACTS/seen.txt"
      checks:
        group:
          inner:
            needs: [make]
            run: cp "$SPIRE_ARTIFACTS/../make/top.txt" "$SPIRE_ARTIFACTS/copy.txt"
          sibling:
            needs: [inner]
            run: cat "$SPIRE_ARTIFACTS/../inner/copy.txt" "$SPIRE_ARTIFACTS/../make/top.txt" > "$SPIRE_ARTIFACTS/both.txt"
      shards:
        repeat: 2
        run: echo "shard $SPIRE_ARRAY_INDEX" > "$SPIRE_ARTIFACTS/part.txt"
      join:
        needs: [shards, checks]
        run: cat "$SPIRE_ARTIFACTS/../shards/0/part.txt" "$SPIRE_ARTIFACTS/../shards/1/part.txt" "$SPIRE_ARTIFACTS/../checks/sibling/both.txt" > "$SPIRE_ARTIFACTS/joined.txt"
`);
  const run = await runToEnd(api);
  assert.equal(run.state, "succeeded", JSON.stringify(run.tasks));
  const listed = await artifactsOf(api, run.id);
  assert.deepEqual(
    listed.map(({ task, name, size }) => [task, name, size]).sort(),
    [
      ["checks/inner", "copy.txt", 3],
      ["checks/sibling", "both.txt", 6],
      ["join", "joined.txt", 22],
      ["make", "blob.bin", blob.length],
      ["make", "out/deep/a.txt", 6],
      ["make", "top.txt", 3],
      ["shards[0]", "part.txt", 8],
      ["shards[1]", "part.txt", 8],
      ["use", "seen.txt", 6],
    ].sort(),
    "the links that hand artifacts down are not listed as anyone's artifacts",
  );
  const blobEntry = listed.find((entry) => entry.name === "blob.bin")!;
  const answer = await download(api, blobEntry.url);
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get("content-type"), "application/octet-stream");
  assert.equal(answer.headers.get("content-disposition"), `attachment; filename="blob.bin"; filename*=UTF-8''blob.bin`);
  assert.ok(Buffer.from(await answer.arrayBuffer()).equals(blob), "byte for byte");
  const deep = listed.find((entry) => entry.name === "out/deep/a.txt")!;
  assert.equal(deep.url, `/api/v1/runs/${run.id}/artifacts/make/out%2Fdeep%2Fa.txt`);
  assert.equal(await (await download(api, deep.url)).text(), "report");
  // A name's `/` sent as is still finds it; so does an encoded task path.
  assert.equal(await (await download(api, `/api/v1/runs/${run.id}/artifacts/make/out/deep/a.txt`)).text(), "report");
  assert.equal(await (await download(api, `/api/v1/runs/${run.id}/artifacts/checks%2Fsibling/both.txt`)).text(), "toptop");
  const shard = listed.find((entry) => entry.task === "shards[1]")!;
  assert.equal(await (await download(api, shard.url)).text(), "shard 1\n");
  assert.equal(await (await download(api, listed.find((entry) => entry.task === "join")!.url)).text(), "shard 0\nshard 1\ntoptop");
  // Copied, not moved: the working folder is as the task left it.
  assert.equal(readFileSync(join(work, "out", "deep", "a.txt"), "utf8"), "report");
  const events = await api.engine.listEvents(run.id, 0, 100);
  const kept = events.find((event) => event.type === "task.artifacts" && event.task_path === "make");
  assert.deepEqual(kept?.data, {
    count: 3,
    bytes: blob.length + 9,
    files: [
      { name: "blob.bin", size: blob.length },
      { name: "out/deep/a.txt", size: 6 },
      { name: "top.txt", size: 3 },
    ],
    not_kept: [],
    not_kept_count: 0,
  });
  assert.ok(events.findIndex((event) => event === kept) < events.findIndex((event) => event.type === "task.finished" && event.task_path === "make"), "recorded before the task's end");
});

test("a failed task's files are kept too; links are not followed, so nothing outside its working folder is kept", async (t) => {
  const { api, work } = await withTasks(t, (work) => `
      build:
        cwd: ${JSON.stringify(work)}
        run: echo "compiler said no" > logs/build.txt; exit 3
        artifacts: ["logs/*.txt", "*-link.txt", "etc-link/**", "nothing-*.zip"]
`);
  writeFileSync(join(api.dir, "inside.txt"), "DATA-FOLDER-FILE");
  symlinkSync("/etc/hostname", join(work, "out-link.txt"));
  symlinkSync(join(api.dir, "inside.txt"), join(work, "data-link.txt"));
  symlinkSync("/etc", join(work, "etc-link"));
  mkdirSync(join(work, "logs"));
  const run = await runToEnd(api);
  assert.equal(run.state, "failed");
  const listed = await artifactsOf(api, run.id);
  assert.deepEqual(listed.map((entry) => entry.name), ["logs/build.txt"]);
  assert.equal(await (await download(api, listed[0]!.url)).text(), "compiler said no\n");
  const events = await api.engine.listEvents(run.id, 0, 100);
  assert.deepEqual(events.find((event) => event.type === "task.artifacts")?.data.files, [{ name: "logs/build.txt", size: 17 }]);
});

test("a FIFO the patterns match, itself or through a link, is not kept, and the run goes on (its read would wait for a writer for ever); a name not UTF-8 is said not kept", async (t) => {
  const { api } = await withTasks(t, (work) => `
      make:
        cwd: ${JSON.stringify(work)}
        run: mkdir out && mkfifo out/pipe.out && ln -s pipe.out out/link.out && echo kept > out/plain.out && printf y > "$(printf 'out/bad\\377.out')"
        artifacts: ["out/*"]
      after:
        needs: [make]
        run: "true"
`);
  const run = await runToEnd(api);
  assert.equal(run.state, "succeeded", JSON.stringify(run.tasks));
  assert.deepEqual((await artifactsOf(api, run.id)).map((entry) => entry.name), ["out/plain.out"]);
  const logs = await (await api.call("GET", `/runs/${run.id}/tasks/make/logs`, { as: "read" })).text();
  assert.match(logs, /spire: artifacts: out\/bad\uFFFD\.out not kept: its name is not valid UTF-8/, "a name that is not UTF-8 is named, not dropped unsaid");
});

test("a file that cannot be copied is named in the log and not kept, and the run ends: a retry's folder where the attempt before kept a file", async (t) => {
  const { api } = await withTasks(t, (work) => `
      flaky:
        cwd: ${JSON.stringify(work)}
        run: if [ -e once ]; then rm -rf out; mkdir -p out/x; echo second > out/x/y; else touch once; mkdir -p out; echo first > out/x; exit 1; fi
        retries: { max: 1, backoff: 0s }
        artifacts: ["out/**"]
`);
  const run = await runToEnd(api);
  assert.equal(run.state, "succeeded", JSON.stringify(run.tasks));
  assert.deepEqual((await artifactsOf(api, run.id)).map((entry) => entry.name), ["out/x"]);
  const logs = await (await api.call("GET", `/runs/${run.id}/tasks/flaky/logs?attempt=2`, { as: "read" })).text();
  assert.match(logs, /spire: artifacts: out\/x\/y not kept: it could not be copied: a file of that name is in the way/);
});

test("a working folder inside the data folder: its files are not kept (the database and the engine's secret live there)", async (t) => {
  const { api } = await withTasks(t, (_work, dataDir) => `
      grab:
        cwd: ${JSON.stringify(dataDir)}
        run: "true"
        artifacts: ["*"]
`);
  const run = await runToEnd(api);
  assert.equal(run.state, "succeeded");
  assert.deepEqual(await artifactsOf(api, run.id), []);
  const logs = await (await api.call("GET", `/runs/${run.id}/tasks/grab/logs`, { as: "read" })).text();
  assert.match(logs, /spire: artifacts: spire\.db not kept: inside Spire's data folder/);
});

test("the download route: traversal, encodings, NUL, absolute paths and unknown runs, tasks or names are 400/404 and never leak a byte", async (t) => {
  const { api } = await withTasks(t, (work) => `
      make:
        cwd: ${JSON.stringify(work)}
        run: printf 'ok' > kept.txt
        artifacts: ["kept.txt"]
`);
  const run = await runToEnd(api);
  writeFileSync(join(api.dir, "canary.txt"), "CANARY-INSIDE\n");
  writeFileSync(join(api.dir, "runs", run.id, "artifacts", "canary.txt"), "CANARY-INSIDE\n");
  const auth = { authorization: `Bearer ${api.tokens.read}` };
  const good = await rawRequest(api.port, "GET", `/api/v1/runs/${run.id}/artifacts/make/kept.txt`, auth);
  assert.equal(good.status, 200);
  assert.equal(good.body, "ok");
  const attempts = [
    "make/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "make/%2e%2e%2f%2e%2e%2fcanary.txt",
    "make/%2e%2e/%2e%2e/canary.txt",
    "make/../../canary.txt",
    "../../../../etc/passwd",
    "make/%252e%252e%252fcanary.txt",
    "make/kept.txt%00",
    "make%00/kept.txt",
    "make/%2fetc%2fpasswd",
    "%2fetc/passwd",
    "/etc/passwd",
    "make/..",
    "make/.",
    "..%2fmake/kept.txt",
    "make/%c0%ae%c0%ae%2fcanary.txt",
    "make/..%5c..%5ccanary.txt",
    "make/%zz",
    "nosuchtask/kept.txt",
    "make/nosuch.txt",
    "make/canary.txt",
    "checks/nosuch/kept.txt",
    "shards[9]/kept.txt",
    "canary.txt/x",
  ];
  for (const rest of attempts) {
    for (const id of [run.id, "0000000000000000"]) {
      const answer = await rawRequest(api.port, "GET", `/api/v1/runs/${id}/artifacts/${rest}`, auth);
      assert.ok([400, 404].includes(answer.status), `${rest} → ${answer.status} ${answer.body}`);
      assert.ok(!/root:|CANARY/.test(answer.body), `${rest} leaked: ${answer.body}`);
      JSON.parse(answer.body);
    }
  }
  for (const id of ["..%2f..%2fsecret", "%2e%2e", "..", "ABC", "a%00b"]) {
    const answer = await rawRequest(api.port, "GET", `/api/v1/runs/${id}/artifacts/make/kept.txt`, auth);
    assert.ok([400, 404].includes(answer.status), `run ${id} → ${answer.status}`);
    const list = await rawRequest(api.port, "GET", `/api/v1/runs/${id}/artifacts`, auth);
    assert.ok([400, 404].includes(list.status), `list of run ${id} → ${list.status}`);
  }
  const anonymous = await rawRequest(api.port, "GET", `/api/v1/runs/${run.id}/artifacts/make/kept.txt`);
  assert.equal(anonymous.status, 401);
});

test("a retry keeps the tasks that passed, and the tasks that run again still find their artifacts", async (t) => {
  const { api, work } = await withTasks(t, (work) => `
      make:
        cwd: ${JSON.stringify(work)}
        run: printf 'made once' > made.txt
        artifacts: ["made.txt"]
      check:
        needs: [make]
        cwd: ${JSON.stringify(work)}
        run: test -f fixed && cp "$SPIRE_ARTIFACTS/../make/made.txt" "$SPIRE_ARTIFACTS/checked.txt"
`);
  const first = await runToEnd(api);
  assert.equal(first.state, "failed");
  writeFileSync(join(work, "fixed"), "");
  writeFileSync(join(work, "made.txt"), "made twice");
  const retried = await api.call("POST", `/runs/${first.id}/retry`, { as: "run", body: {} });
  assert.equal(retried.status, 200, await retried.clone().text());
  const { id } = (await retried.json()) as Run;
  const run = await endOf(api, id);
  assert.equal(run.state, "succeeded", JSON.stringify(run.tasks));
  const listed = await artifactsOf(api, id);
  assert.deepEqual(listed.map(({ task, name }) => [task, name]).sort(), [["check", "checked.txt"], ["make", "made.txt"]]);
  for (const entry of listed) assert.equal(await (await download(api, entry.url)).text(), "made once", `${entry.task}/${entry.name}: the kept task's file, not made again`);
});
