/**
 * The package's types as a user's project sees them: `import … from "spire"`
 * resolves through package.json's "exports" to the declarations in dist and
 * compiles with tsc, and the mistakes they exist to catch do not (each
 * `@ts-expect-error` must meet an error, or tsc fails).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/tmp.js";
import { REPO_ROOT } from "../helpers/cli.js";

const CONSUMER = `import { after, defineConfig, definePipeline, SpireApiError, SpireClient, startEngine, type Run } from "spire";

export const config = defineConfig({
  pipelines: {
    backup: definePipeline({
      triggers: [{ cron: "0 3 * * *" }],
      tasks: {
        dump: { run: "pg_dump app > app.sql", timeout: "10m" },
        compress: { needs: ["dump"], exec: ["gzip", "-f", "app.sql"] },
        tell: { ...after("compress"), run: "echo done" },
      },
    }),
  },
});

definePipeline({
  tasks: {
    dump: { run: "true" },
    // @ts-expect-error: a task that is not in the pipeline
    compress: { needs: ["dupm"], run: "true" },
  },
});

// @ts-expect-error: not a key of a task
defineConfig({ pipelines: { p: { tasks: { t: { run: "true", nedds: [] } } } } });

export async function use(client: SpireClient): Promise<Run> {
  const run = await client.startRun("home", "backup", { args: { target: "/srv" } });
  const page = await client.listRuns({ pipeline: "backup", limit: 10 });
  page.runs.map((summary) => summary.state);
  // @ts-expect-error: limit is a number
  await client.listRuns({ limit: "ten" });
  // @ts-expect-error: no such route
  await client.request("get", "/api/v1/nowhere");
  const one = await client.request("get", "/api/v1/runs/{id}", { path: { id: run.id } });
  one.tasks.map((task) => task.path);
  try {
    return await client.waitForRun(run.id);
  } catch (error) {
    if (error instanceof SpireApiError && error.code === "not_found") throw error;
    throw error;
  }
}

export async function embed(): Promise<void> {
  const engine = await startEngine({ data: "/tmp/spire", definitions: "spire.config.ts" });
  await engine.client.cancelRun("x");
  await engine.stop({ graceMs: 1000 });
}
`;

test("a project that imports from spire compiles against the package's declarations, and its typos do not", (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(REPO_ROOT, join(dir, "node_modules", "spire"), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", type: "module" }));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: ["node"], typeRoots: [join(REPO_ROOT, "node_modules/@types")] }, files: ["consumer.ts"] }),
  );
  writeFileSync(join(dir, "consumer.ts"), CONSUMER);
  const compiled = spawnSync(join(REPO_ROOT, "node_modules/.bin/tsc"), ["-p", join(dir, "tsconfig.json")], { encoding: "utf8", cwd: dir });
  assert.equal(compiled.status, 0, `${compiled.stdout}${compiled.stderr}`);
});
