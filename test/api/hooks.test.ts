/** Webhook triggers: the pipeline's own hook token, nothing else, starts it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { startApi } from "./harness.js";

checkNoLeftoverProcesses();

const yaml = `
pipelines:
  deploy:
    args:
      ref: { default: main }
    triggers:
      - webhook: true
        args: { ref: release }
    tasks:
      go: { run: 'echo "deploying $SPIRE_ARG_REF"' }
  manual:
    tasks:
      go: { run: "true" }
`;

test("the right hook token starts a run; a wrong or missing one is 401; an API token is not a hook token", async (t) => {
  const api = await startApi(t);
  await api.apply(yaml);
  const hook = (await (await api.call("GET", "/pipelines/test/deploy/hook", { as: "admin" })).json()) as { path: string; token: string; enabled: boolean };
  assert.equal(hook.path, "/api/v1/hooks/test/deploy");
  assert.equal(hook.enabled, true);

  const attempts: Record<string, string>[] = [{}, { authorization: "Bearer nope" }, { authorization: `Bearer ${api.tokens.admin}` }];
  for (const headers of attempts) {
    const refused = await fetch(`${api.url}${hook.path}`, { method: "POST", headers });
    assert.equal(refused.status, 401, JSON.stringify(headers).slice(0, 40));
    assert.match(refused.headers.get("www-authenticate") ?? "", /Bearer/);
  }
  const other = (await (await api.call("GET", "/pipelines/test/manual/hook", { as: "admin" })).json()) as { token: string };
  assert.equal((await fetch(`${api.url}${hook.path}`, { method: "POST", headers: { authorization: `Bearer ${other.token}` } })).status, 401, "another pipeline's token");

  const started = await fetch(`${api.url}${hook.path}`, { method: "POST", headers: { "x-spire-hook-token": hook.token } });
  assert.equal(started.status, 201);
  const run = (await started.json()) as { id: string; trigger: { kind: string }; args: { ref: string } };
  assert.equal(run.trigger.kind, "webhook");
  assert.equal(run.args.ref, "release", "the trigger's own args apply");

  const withArgs = await fetch(`${api.url}${hook.path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${hook.token}`, "content-type": "application/json" },
    body: JSON.stringify({ args: { ref: "v2" } }),
  });
  assert.equal(withArgs.status, 201);
  assert.equal(((await withArgs.json()) as { args: { ref: string } }).args.ref, "v2", "the caller's args override the trigger's");
  await api.engine.drain(10_000);
});

test("a pipeline without a webhook trigger is not started by its hook", async (t) => {
  const api = await startApi(t);
  await api.apply(yaml);
  const hook = (await (await api.call("GET", "/pipelines/test/manual/hook", { as: "admin" })).json()) as { path: string; token: string; enabled: boolean };
  assert.equal(hook.enabled, false);
  const response = await fetch(`${api.url}${hook.path}`, { method: "POST", headers: { authorization: `Bearer ${hook.token}` } });
  assert.equal(response.status, 404);
  assert.match(((await response.json()) as { error: { message: string } }).error.message, /has no webhook trigger/);
});
