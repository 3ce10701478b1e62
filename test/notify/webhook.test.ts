/** `notify: webhook` delivered to a real HTTP listener: payload, headers, retries, failures recorded, the run untouched. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { startApi } from "../api/harness.js";
import { freePort, listen, recorded, runToEnd } from "./helpers.js";

checkNoLeftoverProcesses();

const fast = { backoffFirstMs: 20, backoffMaxMs: 100 };

test("a failed run POSTs its run object and a one-line text, with the definition's headers, and records the delivery", async (t) => {
  const api = await startApi(t, { notify: fast });
  const hook = await listen(t);
  await api.apply(`
pipelines:
  backup:
    notify:
      - on: [failure]
        webhook: { url: "${hook.url.replace("//", "//spire:pa55word@")}", headers: { x-hook-secret: abc123 } }
    tasks:
      dump: { run: "exit 3" }
`);
  const run = await runToEnd(api, "backup");
  assert.equal(run.state, "failed");
  const [event] = await recorded(api, run.id, "notify.delivered");

  assert.equal(hook.received.length, 1);
  const { headers, body } = hook.received[0]!;
  assert.equal(headers["x-hook-secret"], "abc123");
  assert.equal(headers["content-type"], "application/json");
  assert.equal(headers.authorization, `Basic ${Buffer.from("spire:pa55word").toString("base64")}`, "credentials in the URL are sent as Basic authorization");
  assert.equal(body.event, "failure");
  assert.match(body.text, new RegExp(`^test/backup failed on ${hostname()} after [0-9.]+m?s: dump .*3.* — run ${run.id}$`));
  assert.equal(body.run?.id, run.id);
  assert.equal(body.run?.state, "failed");
  assert.equal(body.run?.tasks[0]?.exit_code, 3);
  assert.deepEqual(event!.data, { channel: "webhook", target: hook.url.replace("//", "//spire:***@"), event: "failure", attempts: 1, status: 200, error: null });
});

test("a listener that answers 500 twice, then 200, gets it on the third attempt", async (t) => {
  const api = await startApi(t, { notify: fast });
  const hook = await listen(t, (n) => (n < 2 ? 500 : 200));
  await api.apply(`
pipelines:
  ok:
    notify: [{ on: [success], webhook: "${hook.url}" }]
    tasks:
      one: { run: "true" }
`);
  const run = await runToEnd(api, "ok");
  const [event] = await recorded(api, run.id, "notify.delivered");
  assert.equal(hook.received.length, 3);
  assert.equal(event!.data.attempts, 3);
  assert.equal(event!.data.status, 200);
});

test("a listener that always fails: notify.failed is recorded, 4xx is not retried, and the run keeps its result", async (t) => {
  const api = await startApi(t, { notify: fast });
  const down = await listen(t, () => 503);
  const missing = await listen(t, () => 404);
  const closedPort = await freePort();
  await api.apply(`
pipelines:
  ok:
    notify:
      - { on: [success], webhook: { url: "${down.url}", retries: 2 } }
      - { on: [success], webhook: "${missing.url}" }
      - { on: [success], webhook: "http://user:pw@127.0.0.1:${closedPort}/closed?token=t0ps3cret" }
    tasks:
      one: { run: "true" }
`);
  const run = await runToEnd(api, "ok");
  const failures = await recorded(api, run.id, "notify.failed", 3);
  const byTarget = new Map(failures.map((event) => [event.data.target, event.data]));

  assert.equal(down.received.length, 3);
  assert.deepEqual(byTarget.get(down.url), { channel: "webhook", target: down.url, event: "success", attempts: 3, status: 503, error: "answered 503: answer 2" });
  assert.equal(missing.received.length, 1, "a 404 is not retried");
  assert.equal(byTarget.get(missing.url)?.attempts, 1);
  const closed = byTarget.get(`http://user:***@127.0.0.1:${closedPort}/closed?***`);
  assert.ok(closed, `the URL is recorded with its credentials masked: ${JSON.stringify([...byTarget.keys()])}`);
  assert.equal(closed.attempts, 4, "a network error is retried (3 retries by default)");
  assert.match(String(closed.error), /ECONNREFUSED/);

  assert.equal((await api.engine.getRun(run.id)).state, "succeeded", "the run's result stays");
  const stored = JSON.stringify(await api.store.listEvents(run.id, 0, 1000));
  assert.ok(!stored.includes("t0ps3cret") && !stored.includes(":pw@"), "no credential of a URL is recorded");
});

test("what a failing listener answered is recorded on one line: an error page's HTML does not spill over the log and spire run's stderr", async (t) => {
  const api = await startApi(t, { notify: fast });
  const page = await listen(t, () => 404, () => "<html>\n  <body>\n    <h1>Not here</h1>\n  </body>\n</html>\n");
  await api.apply(`
pipelines:
  ok:
    notify: [{ on: [success], webhook: "${page.url}" }]
    tasks:
      one: { run: "true" }
`);
  const run = await runToEnd(api, "ok");
  const [event] = await recorded(api, run.id, "notify.failed");
  assert.equal(event!.data.error, "answered 404: <html> <body> <h1>Not here</h1> </body> </html>");
});

test("recovered: the first success after a failure (canceled runs passed over), not the next; started: every run as it starts", async (t) => {
  const api = await startApi(t, { notify: fast });
  const recoveries = await listen(t);
  const starts = await listen(t);
  await api.apply(`
pipelines:
  flaky:
    args:
      mode: { enum: [ok, fail, sleep], default: ok }
    notify:
      - { on: [recovered], webhook: "${recoveries.url}" }
      - { on: [started], webhook: "${starts.url}" }
      - { on: [success, failure], run: "true" }
    tasks:
      work:
        run: 'if [ "$SPIRE_ARG_MODE" = sleep ]; then sleep 30; fi; [ "$SPIRE_ARG_MODE" != fail ]'
        kill_grace: 200ms
`);
  const first = await runToEnd(api, "flaky");
  const failed = await runToEnd(api, "flaky", { mode: "fail" });
  assert.equal(failed.state, "failed");
  const sleeping = (await (await api.call("POST", "/pipelines/test/flaky/runs", { as: "run", body: { args: { mode: "sleep" } } })).json()) as { id: string };
  await api.call("POST", `/runs/${sleeping.id}/cancel`, { as: "run" });
  const recovered = await runToEnd(api, "flaky");
  const again = await runToEnd(api, "flaky");
  // The last run's end has been handled once its own notification is recorded.
  await recorded(api, again.id, "notify.delivered", 2);
  await api.notifier.idle();

  assert.deepEqual(
    recoveries.received.map((request) => [request.body.event, request.body.run?.id]),
    [["recovered", recovered.id]],
    `first ${first.id}, failed ${failed.id}, canceled ${sleeping.id}`,
  );
  assert.match(recoveries.received[0]!.body.text, /^test\/flaky recovered on .* after /);
  assert.deepEqual(
    starts.received.map((request) => [request.body.event, request.body.run?.id, request.body.run?.state]),
    [first, failed, sleeping, recovered, again].map((run) => ["started", run.id, "running"]),
  );
});
