/**
 * A pipeline's webhook token among engines sharing one PostgreSQL: the same
 * on every engine (they share the secret), and changed through one
 * (`spire hook --rotate`), the old one is refused by all of them at once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stopEngine, type RunningEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { freshSchema } from "../helpers/postgres.js";
import { engineStarter } from "./shared-store.js";

checkNoLeftoverProcesses();

test("a hook token changed through one engine is refused by the others at once; the new one works on all", async (t) => {
  const schema = await freshSchema(t);
  const dir = tempDir(t, "spire-cluster-hook-");
  const file = join(dir, "spire.yaml");
  writeFileSync(file, `namespace: h\npipelines:\n  deploy:\n    triggers: [{ webhook: true }]\n    tasks:\n      go: { run: "true" }\n`);
  const { start } = engineStarter(t, { dir, schema, file });
  const a = await start("a");
  const b = await start("b");
  const admin = (engine: RunningEngine) => ({ authorization: `Bearer ${readFileSync(join(engine.data, "token"), "utf8").trim()}` });
  const hook = async (engine: RunningEngine, method: "GET" | "POST", path = "") => {
    const answer = await fetch(`${engine.url}/api/v1/pipelines/h/deploy/hook${path}`, { method, headers: admin(engine) });
    assert.equal(answer.status, 200, await answer.clone().text());
    return ((await answer.json()) as { token: string }).token;
  };
  const fire = (engine: RunningEngine, token: string) => fetch(`${engine.url}/api/v1/hooks/h/deploy`, { method: "POST", headers: { authorization: `Bearer ${token}` } }).then((answer) => answer.status);

  const before = await hook(a, "GET");
  assert.equal(await hook(b, "GET"), before, "one token on every engine");
  assert.equal(await fire(b, before), 201);
  const after = await hook(a, "POST", "/rotate");
  assert.notEqual(after, before);
  assert.equal(await fire(b, before), 401, "the old token, through the other engine");
  assert.equal(await fire(a, before), 401);
  assert.equal(await fire(b, after), 201, "the new one works there");
  assert.equal(await hook(b, "GET"), after);
  await Promise.all([stopEngine(a), stopEngine(b)]);
});
