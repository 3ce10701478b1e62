/** The smaller parts: key paths, schema walking, did-you-mean, ISO times, custom tags. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Tags } from "yaml";
import { formatKeyPath } from "../../src/definitions/errors.js";
import { formatDefinitionErrors, parseDefinitions } from "../../src/definitions/load.js";
import { acceptedKeys, describeExpected } from "../../src/definitions/schema-walk.js";
import { spireFileSchema } from "../../src/definitions/schema.js";
import { editDistance, suggest } from "../../src/definitions/suggest.js";
import { isTimeZone } from "../../src/definitions/check-triggers.js";
import { isDateTime } from "../../src/time/datetime.js";
import { parseField } from "../../src/definitions/check-graph.js";

test("key paths: dots, indexes, and quoted odd keys", () => {
  assert.equal(formatKeyPath(["pipelines", "backup", "triggers", 0, "at"]), "pipelines.backup.triggers[0].at");
  assert.equal(formatKeyPath(["pipelines", "a b", "tasks"]), 'pipelines["a b"].tasks');
  assert.equal(formatKeyPath([]), "");
  assert.deepEqual(parseField("env.KEY"), ["env", "KEY"]);
  assert.deepEqual(parseField("exec[2]"), ["exec", 2]);
  assert.deepEqual(parseField("http.headers.X-Token"), ["http", "headers", "X-Token"]);
});

test("the schema walk sees through transforms, unions, records and the recursive group", () => {
  const deepTask = ["pipelines", "p", "tasks", "g", "group", "h", "group", "i"];
  assert.ok(acceptedKeys(spireFileSchema, deepTask).includes("needs"));
  assert.ok(acceptedKeys(spireFileSchema, [...deepTask, "retries"]).includes("max_delay"), "the object branch of a union");
  assert.ok(acceptedKeys(spireFileSchema, ["pipelines", "p", "args", "x"]).includes("pattern"));
  assert.ok(acceptedKeys(spireFileSchema, ["pipelines", "p", "triggers", 3]).includes("timezone"));
  assert.deepEqual(acceptedKeys(spireFileSchema, ["pipelines", "p", "nonsense"]), []);
  assert.equal(describeExpected(spireFileSchema, [...deepTask, "timeout"]), "a duration such as 500ms, 10s, 5m or 1h30m");
  assert.equal(describeExpected(spireFileSchema, [...deepTask, "on_fail"]), "a list of task names");
  assert.equal(describeExpected(spireFileSchema, ["pipelines", "p", "catchup"]), "one of: none, latest, all");
  assert.equal(describeExpected(spireFileSchema, ["locks"]), "a mapping");
});

test("did-you-mean counts a swap of neighbours as one slip", () => {
  assert.equal(editDistance("dmup", "dump"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(suggest("dmup", ["dump", "compress"]), "dump");
  assert.equal(suggest("zzzz", ["dump", "compress"]), undefined);
});

test("ISO date-times and time zones", () => {
  for (const ok of ["2026-12-24T18:00:00+01:00", "2026-12-24T18:00Z", "2026-12-24 18:00:00", "2028-02-29T00:00:00.123Z"]) assert.ok(isDateTime(ok), ok);
  for (const bad of ["2026-12-24", "2026-02-30T00:00:00", "2026-12-24T25:00:00", "tomorrow", "24.12.2026 18:00"]) assert.ok(!isDateTime(bad), bad);
  assert.ok(isTimeZone("Europe/Berlin") && isTimeZone("UTC"));
  assert.ok(!isTimeZone("Europe/Berln") && !isTimeZone(""));
});

test("tag handling plugs in: a reader that knows a tag accepts it", () => {
  const text = "pipelines:\n  p:\n    tasks:\n      a: { run: !shout hello }\n";
  const refused = parseDefinitions(text, "t.yaml");
  assert.equal(refused.ok, false);
  if (!refused.ok) assert.match(formatDefinitionErrors(refused.errors), /^t\.yaml:4:17  pipelines\.p\.tasks\.a\.run: unknown YAML tag `!shout`/);
  const shout: Tags = [{ tag: "!shout", resolve: (value: string) => value.toUpperCase() }];
  const accepted = parseDefinitions(text, "t.yaml", { customTags: shout });
  assert.ok(accepted.ok);
  if (accepted.ok) assert.equal(accepted.file.pipelines["p"]!.tasks["a"]!.run, "HELLO");
});
