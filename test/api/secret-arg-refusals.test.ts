/**
 * A refused argument's value is echoed in the refusal, to say what was
 * wrong with it, unless the argument is secret: then the refusal names the
 * argument and the rule it broke, never the value (a 422 reaches API
 * clients, webhook callers and terminals).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { startApi } from "./harness.js";

checkNoLeftoverProcesses();

const yaml = `
pipelines:
  guarded:
    args:
      pin: { type: integer, secret: true }
      key: { secret: true, pattern: "^[a-z]+$" }
      mode: { secret: true, enum: [a, b] }
      flag: { type: boolean, secret: true }
      plain: { type: integer, default: 1 }
    triggers:
      - webhook: true
    tasks:
      go: { run: "true" }
`;

const SECRETS = { pin: "SECRETPIN99", key: "SECRETKEY-77", mode: "SECRETMODE", flag: "SECRETFLAG" };

test("a refused secret argument's value is in no refusal, from the runs route or the webhook; a plain one's is, cut when long", async (t) => {
  const api = await startApi(t);
  await api.apply(yaml);

  const refused = await api.call("POST", "/pipelines/test/guarded/runs", { as: "run", body: { args: { ...SECRETS, plain: "x".repeat(5000) } } });
  assert.equal(refused.status, 422);
  const body = await refused.text();
  for (const [name, value] of Object.entries(SECRETS)) {
    assert.ok(!body.includes(value), `${name}'s value is not in the refusal: ${body}`);
    assert.ok(body.includes(`argument \\"${name}\\"`), `the refusal names ${name}: ${body}`);
  }
  assert.match(body, /the argument is secret/);
  assert.match(body, /must be a number, got \\"x{199}… \(5002 characters\)/, "a plain value is shown, cut to its first 200 characters (the quote included)");

  const hook = (await (await api.call("GET", "/pipelines/test/guarded/hook", { as: "admin" })).json()) as { path: string; token: string };
  const fromHook = await fetch(`${api.url}${hook.path}`, {
    method: "POST",
    headers: { "x-spire-hook-token": hook.token, "content-type": "application/json" },
    body: JSON.stringify({ args: SECRETS }),
  });
  assert.equal(fromHook.status, 422);
  const hookBody = await fromHook.text();
  for (const value of Object.values(SECRETS)) assert.ok(!hookBody.includes(value), `not in the webhook's refusal: ${hookBody}`);
  assert.match(hookBody, /argument \\"pin\\" must be a whole number|argument \\"pin\\" must be a number/);
});
