/**
 * The filters of the runs page and the audit page: several states, trigger
 * kinds, creation times; actor, action (or a family of them), target, time.
 * Paging with a filter gives the filtered list, page by page; a filter that
 * cannot be is a 400 naming the parameter.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { errorOf, finishedRun, startApi, type Api } from "./harness.js";

checkNoLeftoverProcesses();

const YAML = `
pipelines:
  ok:
    tasks:
      a: { run: "true" }
  bad:
    tasks:
      a: { run: "false" }
  hooked:
    triggers:
      - webhook: true
    tasks:
      a: { run: "true" }
`;

interface Run {
  id: string;
  pipeline: string;
  state: string;
  trigger: { kind: string };
  created_at: string;
}

async function started(api: Api, pipeline: string): Promise<Run> {
  const response = await api.call("POST", `/pipelines/test/${pipeline}/runs`, { as: "run", body: {} });
  assert.equal(response.status, 201);
  const { id } = (await response.json()) as { id: string };
  return (await finishedRun(api, id)) as Run;
}

async function hooked(api: Api): Promise<Run> {
  const { token } = (await (await api.call("GET", "/pipelines/test/hooked/hook")).json()) as { token: string };
  const response = await api.call("POST", "/hooks/test/hooked", { as: { token }, body: {} });
  assert.equal(response.status, 201, await response.clone().text());
  return (await finishedRun(api, ((await response.json()) as { id: string }).id)) as Run;
}

/** Every page of `path` (which has its filters), following next_cursor. */
async function allPages<T>(api: Api, path: string, key: "runs" | "entries", cursor: "cursor" | "before"): Promise<T[]> {
  const seen: T[] = [];
  let next: string | number | null = null;
  do {
    const response = await api.call("GET", `${path}&limit=1${next !== null ? `&${cursor}=${next}` : ""}`);
    assert.equal(response.status, 200, await response.clone().text());
    const page = (await response.json()) as Record<string, unknown> & { next_cursor: string | number | null };
    seen.push(...(page[key] as T[]));
    next = page.next_cursor;
  } while (next !== null);
  return seen;
}

async function runsOf(api: Api, query: string): Promise<string[]> {
  const response = await api.call("GET", `/runs?${query}`, { as: "read" });
  assert.equal(response.status, 200, `${query}: ${await response.clone().text()}`);
  return ((await response.json()) as { runs: Run[] }).runs.map((run) => run.id);
}

async function assert400(api: Api, path: string, message: RegExp): Promise<void> {
  const response = await api.call("GET", path);
  assert.equal(response.status, 400, path);
  assert.match((await errorOf(response)).message, message, path);
}

test("GET /runs: several states, trigger kinds and creation times, each paged through with next_cursor", async (t) => {
  const api = await startApi(t);
  await api.apply(YAML);
  const runs: Run[] = [await started(api, "ok"), await started(api, "bad"), await hooked(api), await started(api, "ok"), await started(api, "bad"), await hooked(api)];
  const retried = await api.call("POST", `/runs/${runs[1]!.id}/retry`, { as: "run", body: {} });
  runs.push((await finishedRun(api, ((await retried.json()) as { id: string }).id)) as Run);
  const newestFirst = [...runs].reverse();
  const ids = (keep: (run: Run) => boolean) => newestFirst.filter(keep).map((run) => run.id);

  assert.deepEqual(await runsOf(api, "status=failed"), ids((run) => run.state === "failed"));
  assert.deepEqual(await runsOf(api, "status=failed,succeeded&trigger=manual"), ids((run) => run.trigger.kind === "manual"));
  assert.deepEqual(await runsOf(api, "status=failed&status=succeeded&trigger=manual"), ids((run) => run.trigger.kind === "manual"), "repeated");
  assert.deepEqual(await runsOf(api, "trigger=webhook,retry"), ids((run) => ["webhook", "retry"].includes(run.trigger.kind)));
  assert.deepEqual(await runsOf(api, "trigger=retry&status=failed"), [runs[6]!.id]);
  assert.deepEqual(await runsOf(api, "status=queued,running"), []);

  const middle = runs[3]!.created_at;
  assert.deepEqual(await runsOf(api, `created_after=${encodeURIComponent(middle)}`), ids((run) => run.created_at >= middle));
  assert.deepEqual(await runsOf(api, `created_before=${Date.parse(middle)}`), ids((run) => run.created_at < middle), "epoch ms too");
  assert.deepEqual(
    await runsOf(api, `created_after=${Date.parse(runs[1]!.created_at)}&created_before=${encodeURIComponent(middle)}&pipeline=bad`),
    [runs[1]!.id],
  );

  for (const query of ["status=failed,succeeded&trigger=manual", "trigger=webhook", `created_after=${encodeURIComponent(middle)}&status=succeeded`]) {
    const paged = (await allPages<Run>(api, `/runs?${query}`, "runs", "cursor")).map((run) => run.id);
    assert.deepEqual(paged, await runsOf(api, query), `paged: ${query}`);
  }

  await assert400(api, "/runs?status=failed,odd", /query\.status: "odd": expected run states among queued, running/);
  await assert400(api, "/runs?status=", /query\.status: "": expected run states/);
  await assert400(api, "/runs?trigger=Cron!", /query\.trigger: "Cron!": expected trigger kinds/);
  await assert400(api, "/runs?created_after=yesterday", /query\.created_after: expected epoch milliseconds or an ISO 8601 time/);
  await assert400(api, `/runs?created_after=${encodeURIComponent(middle)}&created_before=${encodeURIComponent(middle)}`, /query\.created_before: is not after created_after/);
});

test("GET /audit: actor, actions (or run.*), target and time, each paged through with next_cursor", async (t) => {
  const api = await startApi(t);
  await api.apply(YAML);
  const first = await started(api, "ok");
  await started(api, "bad");
  const between = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 5));
  await api.call("POST", "/pipelines/test/ok/pause", { as: "run", body: { reason: "testing" } });
  await api.call("POST", `/runs/${first.id}/cancel`, { as: "run" });
  await api.call("POST", "/tokens", { body: { name: "extra", scope: "read" } });

  interface Entry {
    seq: number;
    ts: string;
    actor: string;
    action: string;
    target: string;
  }
  const everything = ((await (await api.call("GET", "/audit?limit=1000")).json()) as { entries: Entry[] }).entries;
  const expect = (keep: (entry: Entry) => boolean) => everything.filter(keep).map((entry) => entry.seq);
  const seqs = async (query: string) => {
    const response = await api.call("GET", `/audit?${query}`);
    assert.equal(response.status, 200, `${query}: ${await response.clone().text()}`);
    return ((await response.json()) as { entries: Entry[] }).entries.map((entry) => entry.seq);
  };
  assert.ok(everything.length >= 5);

  assert.deepEqual(await seqs("actor=runner"), expect((entry) => entry.actor === "runner"));
  assert.deepEqual(await seqs("action=run.*"), expect((entry) => entry.action.startsWith("run.")));
  assert.deepEqual(await seqs("action=apply,pipeline.pause"), expect((entry) => ["apply", "pipeline.pause"].includes(entry.action)));
  assert.deepEqual(await seqs("action=pipeline"), [], "an action is whole, not a prefix, without .*");
  assert.deepEqual(await seqs("target=test%2Fok"), expect((entry) => entry.target === "test/ok"));
  assert.deepEqual(await seqs(`since=${between}`), expect((entry) => Date.parse(entry.ts) >= between));
  assert.deepEqual(await seqs(`until=${new Date(between).toISOString()}&actor=runner`), expect((entry) => Date.parse(entry.ts) < between && entry.actor === "runner"));
  assert.ok((await seqs("action=token.create")).length === 1);

  for (const query of ["actor=runner", "action=run.*,apply"]) {
    const paged = (await allPages<Entry>(api, `/audit?${query}`, "entries", "before")).map((entry) => entry.seq);
    assert.deepEqual(paged, await seqs(query), `paged: ${query}`);
  }

  await assert400(api, "/audit?action=Run.Start", /query\.action: "Run.Start": expected actions such as run.start/);
  await assert400(api, "/audit?action=run.*.x", /query\.action: "run\.\*\.x"/);
  await assert400(api, `/audit?since=${between}&until=${between}`, /query\.until: is not after since/);
  await assert400(api, "/audit?actor=", /query\.actor/);
  assert.equal((await api.call("GET", "/audit?actor=runner", { as: "read" })).status, 403, "still admin only");
});
