/**
 * spire.config.ts (and .mjs) read by the real `spire` wherever a spire.yaml
 * is: validate, run, and the file found without -f. Mistakes are placed at
 * the file's own line and column: a key of the wrong shape, a syntax error,
 * an error the code throws (also in a file it imports).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";

checkNoLeftoverProcesses();

const GOOD = `import { after, defineConfig } from "spire";

const greeting: string = "hello";

export default defineConfig({
  namespace: "ts-config",
  pipelines: {
    hello: {
      args: { who: { default: "world" } },
      tasks: {
        greet: { run: \`echo \${greeting} "$SPIRE_ARG_WHO"\` },
        bye: { ...after("greet"), exec: ["echo", "bye"] },
      },
    },
  },
});
`;

test("a spire.config.ts is valid for validate -f, runs with run -f, and is the folder's file without -f", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "spire.config.ts");
  writeFileSync(file, GOOD);
  const validated = await spire(["validate", "-f", file], { data: join(dir, "data") });
  assert.equal(validated.code, 0, validated.stderr);
  assert.match(validated.stdout, /spire\.config\.ts is valid: 1 pipeline \(hello\), 2 tasks/);
  const ran = await spire(["run", "-f", file, "--json", "--arg", "who=typescript"], { data: join(dir, "data") });
  assert.equal(ran.code, 0, ran.stderr);
  const run = JSON.parse(ran.stdout) as { id: string; state: string; namespace: string; tasks: { path: string; state: string }[] };
  assert.equal(run.state, "succeeded");
  assert.equal(run.namespace, "ts-config");
  assert.deepEqual(run.tasks.map((task) => task.path).sort(), ["bye", "greet"]);
  const logs = await spire(["logs", run.id, "greet"], { data: join(dir, "data") });
  assert.match(logs.stdout, /hello typescript/);
  // No -f, no spire.yaml in the folder: the config is the file.
  const found = await spire(["validate"], { data: join(dir, "data"), cwd: dir });
  assert.equal(found.code, 0, found.stderr);
  assert.match(found.stdout, /^✓ spire\.config\.ts is valid/);
});

test("a key of the wrong shape is reported at its line and column in the TypeScript source, with its key path", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "spire.config.ts");
  writeFileSync(
    file,
    `import { defineConfig } from "spire";

const shared = { retries: 2 };

export default defineConfig({
  pipelines: {
    nightly: {
      tasks: {
        dump: { ...shared, run: "true", timeout: "soon" as any },
        "zip": { run: "true", nedds: ["dump"] },
      },
    },
  },
} as any);
`,
  );
  const result = await spire(["validate", "-f", file], { data: join(dir, "data") });
  assert.equal(result.code, 2, result.stdout);
  assert.match(result.stderr, new RegExp(`${file}:9:50  pipelines\\.nightly\\.tasks\\.dump\\.timeout: invalid value "soon"`));
  assert.match(result.stderr, new RegExp(`${file}:10:31  pipelines\\.nightly\\.tasks\\.zip\\.nedds: .*needs`));
  assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, "no stack trace");
});

test("a syntax error and a thrown error are shown at file:line:column, without a stack trace of Spire's", async (t) => {
  const dir = tempDir(t);
  const broken = join(dir, "broken.config.ts");
  writeFileSync(broken, `export default {\n  pipelines: {\n    a: { tasks: { b: { run: "true" } } }\n  };\n`);
  const throwing = join(dir, "spire.config.ts");
  writeFileSync(join(dir, "hosts.ts"), `export function hosts(): string[] {\n  const list = process.env.NO_SUCH_HOSTS;\n  if (!list) throw new Error("NO_SUCH_HOSTS is not set");\n  return list.split(",");\n}\n`);
  writeFileSync(throwing, `import { hosts } from "./hosts.ts";\n\nexport default {\n  pipelines: { ping: { tasks: { p: { exec: ["ping", ...hosts()] } } } },\n};\n`);
  const [syntax, thrown] = await Promise.all([spire(["validate", "-f", broken], { data: join(dir, "data") }), spire(["run", "-f", throwing], { data: join(dir, "data") })]);
  assert.equal(syntax.code, 2);
  assert.match(syntax.stderr, new RegExp(`${broken}:4:4  the file cannot be compiled: Expected "}" but found ";"`));
  assert.equal(thrown.code, 2);
  // The place is in the imported file, where the error was thrown.
  assert.match(thrown.stderr, new RegExp(`${join(dir, "hosts.ts")}:3:\\d+  the file threw an error: NO_SUCH_HOSTS is not set`));
  assert.match(thrown.stderr, /Nothing was run/);
  for (const result of [syntax, thrown]) assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
});

test("a spire.config.mjs (plain JavaScript, a function as its default export) runs with run -f, a .cjs may require(); one without a default export is told how", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "spire.config.mjs");
  writeFileSync(file, `export default async () => ({\n  pipelines: { js: { tasks: { t: { exec: ["echo", "from mjs"] } } } },\n});\n`);
  const ran = await spire(["run", "-f", file, "--json"], { data: join(dir, "data") });
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal((JSON.parse(ran.stdout) as { state: string }).state, "succeeded");
  // CommonJS, with a require() of a Node module.
  const common = join(dir, "spire.config.cjs");
  writeFileSync(common, `const { hostname } = require("node:os");\nmodule.exports = { pipelines: { [hostname().replace(/[^A-Za-z0-9_-]/g, "-")]: { tasks: { t: { run: "true" } } } } };\n`);
  const required = await spire(["validate", "-f", common], { data: join(dir, "data") });
  assert.equal(required.code, 0, required.stderr);
  assert.match(required.stdout, /spire\.config\.cjs is valid: 1 pipeline/);
  const bare = join(dir, "bare.config.mjs");
  writeFileSync(bare, `export const config = {};\n`);
  const refused = await spire(["validate", "-f", bare], { data: join(dir, "data") });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /bare\.config\.mjs:1:1  the file has no default export — end the file with: export default defineConfig/);
});
