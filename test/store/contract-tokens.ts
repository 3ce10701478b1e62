/** Store contract: API token records, and webhook token generations. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TokenNameTakenError } from "../../src/store/errors.js";
import type { Open } from "./contract.js";
import { aNamespace, aToken } from "./fixtures.js";

export function tokenTests(open: Open): void {
  test("create, get and list read back exactly, newest first then by id", async (t) => {
    const store = await open(t);
    const rows = [
      aToken("t1", { scope: "read", created_at: 1 }),
      aToken("t3", { scope: "admin", created_at: 2, expires_at: null }),
      aToken("t2", { scope: "run", created_at: 2, last_used_at: 7 }),
    ];
    for (const row of rows) await store.createToken(row);
    assert.deepEqual(await store.getToken("t3"), rows[1]);
    assert.deepEqual(await store.listTokens(), [rows[1], rows[2], rows[0]]);
    assert.equal(await store.getToken("nope"), undefined);
  });

  test("a live token's name is taken: a typed error, and nothing is stored", async (t) => {
    const store = await open(t);
    await store.createToken(aToken("t1", { name: "laptop" }));
    await assert.rejects(store.createToken(aToken("t2", { name: "laptop" })), (error: unknown) => {
      assert.ok(error instanceof TokenNameTakenError);
      assert.equal(error.tokenName, "laptop");
      assert.match(error.message, /"laptop".*revoke/);
      return true;
    });
    assert.equal(await store.getToken("t2"), undefined);
    assert.deepEqual((await store.listTokens()).map((row) => row.id), ["t1"]);
  });

  test("revoking frees the name; revoked tokens may share one", async (t) => {
    const store = await open(t);
    await store.createToken(aToken("t1", { name: "ci" }));
    assert.equal(await store.revokeToken("t1", 5_000), true);
    await store.createToken(aToken("t2", { name: "ci", created_at: 4_000 }));
    assert.equal(await store.revokeToken("t2", 6_000), true);
    await store.createToken(aToken("t3", { name: "ci", created_at: 5_000 }));
    assert.deepEqual((await store.listTokens()).map((row) => [row.id, row.revoked_at]), [["t3", null], ["t2", 6_000], ["t1", 5_000]]);
  });

  test("a taken id fails, and is not mistaken for a taken name", async (t) => {
    const store = await open(t);
    await store.createToken(aToken("t1"));
    await assert.rejects(store.createToken(aToken("t1", { name: "other" })), (error: unknown) => !(error instanceof TokenNameTakenError));
    assert.deepEqual(await store.listTokens(), [aToken("t1")]);
  });

  test("revoke says whether it revoked, and the first time stays", async (t) => {
    const store = await open(t);
    await store.createToken(aToken("t1"));
    assert.equal(await store.revokeToken("t1", 5_000), true);
    assert.equal(await store.revokeToken("t1", 9_000), false);
    assert.equal(await store.revokeToken("ghost", 9_000), false);
    assert.deepEqual(await store.getToken("t1"), aToken("t1", { revoked_at: 5_000 }));
    assert.equal(await store.getToken("ghost"), undefined);
  });

  test("touch records the latest use, never an older one, and ignores unknown ids", async (t) => {
    const store = await open(t);
    await store.createToken(aToken("t1"));
    await store.createToken(aToken("t2"));
    await store.touchToken("t1", 8_000);
    await store.touchToken("t1", 7_000);
    await store.touchToken("ghost", 9_000);
    assert.deepEqual(await store.getToken("t1"), aToken("t1", { last_used_at: 8_000 }));
    assert.deepEqual(await store.getToken("t2"), aToken("t2"));
    await store.touchToken("t1", 8_500);
    assert.equal((await store.getToken("t1"))?.last_used_at, 8_500);
    assert.equal((await store.listTokens()).length, 2);
  });

  test("a pipeline's hook generation is 0 until moved on, then counts up; each pipeline has its own, kept when the pipeline goes", async (t) => {
    const store = await open(t);
    assert.equal(await store.hookGeneration("ns", "p"), 0);
    assert.equal(await store.nextHookGeneration("ns", "p"), 1);
    assert.equal(await store.nextHookGeneration("ns", "p"), 2);
    assert.equal(await store.hookGeneration("ns", "p"), 2);
    assert.equal(await store.hookGeneration("ns", "q"), 0, "another pipeline");
    assert.equal(await store.hookGeneration("other", "p"), 0, "the same name in another namespace");
    await store.applyNamespace({ namespace: aNamespace("ns"), upserts: [], deletes: ["p"] });
    assert.equal(await store.hookGeneration("ns", "p"), 2, "a token changed away stays away");
  });
}
