import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { defaultNamespace, originOf } from "../../src/definitions/namespace.js";
import { NAME_PATTERN } from "../../src/definitions/schema.js";

test("the default namespace is 12 hex digits of sha256(host, user, path)", () => {
  const name = defaultNamespace("box", "jane", "/home/jane/spire.yaml");
  assert.equal(name, createHash("sha256").update("box\njane\n/home/jane/spire.yaml").digest("hex").slice(0, 12));
  assert.match(name, /^[0-9a-f]{12}$/);
  assert.match(name, NAME_PATTERN);
  assert.equal(defaultNamespace("box", "jane", "/home/jane/spire.yaml"), name, "stable");
  assert.notEqual(defaultNamespace("box", "jane", "/home/jane/other.yaml"), name);
  assert.notEqual(defaultNamespace("box", "joe", "/home/jane/spire.yaml"), name);
  // The separator keeps ("ab", "c") and ("a", "bc") apart.
  assert.notEqual(defaultNamespace("ab", "c", "/x"), defaultNamespace("a", "bc", "/x"));
});

test("originOf names this machine, a user and the path", () => {
  const origin = originOf("/srv/spire.yaml");
  assert.equal(origin.host, hostname());
  assert.ok(origin.user.length > 0);
  assert.equal(origin.path, "/srv/spire.yaml");
});
