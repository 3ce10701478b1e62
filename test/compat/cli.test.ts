/** `spire validate` and `spire convert` with prunner and Gator files; `--format` where detection is not wanted. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { FIXTURES } from "../definitions/fixtures.js";

const compat = (...parts: string[]) => join(FIXTURES, "compat", ...parts);

test("spire validate says which format it read", async (t) => {
  const data = tempDir(t);
  const prunner = await spire(["validate", "-f", compat("prunner", "examples_pipelines.yml")], { data });
  assert.equal(prunner.code, 0, prunner.stderr);
  assert.match(prunner.stdout, /is valid \(read as a prunner pipelines\.yml\): 7 pipelines .*, 12 tasks/);
  const gator = await spire(["validate", "-f", compat("gator", "job_tree.yaml")], { data });
  assert.match(gator.stdout, /is valid \(read as a Gator job file\): 1 pipeline \(tree\)/);
});

test("--format reads a file as that format, whatever it looks like", async (t) => {
  const data = tempDir(t);
  const missingDep = compat("prunner", "test_fixtures_missingDep.yml");
  const asPrunner = await spire(["validate", "-f", missingDep, "--format", "prunner"], { data });
  assert.equal(asPrunner.code, 2);
  assert.match(asPrunner.stderr, /test_fixtures_missingDep\.yml:5:22 {2}pipelines\.test_it\.tasks\.test\.depends_on\[0\]: missing task "not_existing"/);
  const asGator = await spire(["validate", "-f", compat("prunner", "test_fixtures_pipelines.yml"), "--format", "gator"], { data });
  assert.equal(asGator.code, 2);
  assert.match(asGator.stderr, /a Gator file holds one !Job, !JobGroup or !JobArray/);
  const unknown = await spire(["validate", "-f", missingDep, "--format", "jenkins"], { data });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Allowed choices are spire, prunner, gator/);
});

test("spire convert prints Spire's format; a Spire file comes back unchanged", async (t) => {
  const data = tempDir(t);
  const converted = await spire(["convert", compat("prunner", "test_fixtures_partitioned_waitlist.yml")], { data });
  assert.equal(converted.code, 0, converted.stderr);
  assert.match(converted.stdout, /queue:\n\s+limit: 10000\n\s+strategy: replace\n\s+partition_limit: 2\n/);
  assert.match(converted.stdout, /run: echo "Foo"/);
  const example = join(FIXTURES, "..", "..", "examples", "hello.yaml");
  const same = await spire(["convert", example], { data });
  assert.equal(same.stdout, readFileSync(example, "utf8"));
  assert.match(same.stderr, /already a Spire definitions file/);
  const broken = await spire(["convert", compat("prunner", "test_fixtures_missingDep.yml"), "--format", "prunner"], { data });
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /Nothing was converted/);
});
