/** `spire init` through the real program: every template written, valid as written, and run. */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { tempDir } from "../helpers/tmp.js";
import { REPO_ROOT, spire } from "../helpers/cli.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { INIT_TEMPLATES } from "../../src/cli/init-templates.js";

checkNoLeftoverProcesses();

interface RunObject {
  state: string;
  warnings: number;
  tasks: { name: string; state: string; outputs: Record<string, string> }[];
}

/** `spire init -t NAME` into a fresh folder, checked as written; returns the folder and the file. */
async function initialised(t: TestContext, name: string): Promise<{ dir: string; file: string }> {
  const dir = tempDir(t);
  const file = join(dir, `${name}.yaml`);
  const result = await spire(["init", "--template", name, "-f", file], { data: dir });
  assert.equal(result.code, 0, result.stderr);
  const pipeline = INIT_TEMPLATES.find((template) => template.name === name)!.pipeline;
  assert.equal(result.stdout, `wrote ${file} (the ${name} template: pipeline ${pipeline}). Read it, change it, then:\n  spire validate -f ${file}\n  spire run -f ${file} ${pipeline}\n  spire engine -f ${file}\n`);
  const validated = await spire(["validate", "-f", file], { data: dir });
  assert.equal(validated.code, 0, validated.stderr);
  assert.equal(validated.stderr, "", "no warnings either");
  return { dir, file };
}

async function runJson(file: string, dir: string, args: string[]): Promise<RunObject> {
  const result = await spire(["run", "-f", file, ...args, "--json"], { data: join(dir, "data") });
  assert.equal(result.code, 0, `${result.stderr}\n${result.stdout}`);
  return JSON.parse(result.stdout) as RunObject;
}

test("the templates on disk are the ones spire init --list offers, one line each", async (t) => {
  const files = readdirSync(join(REPO_ROOT, "templates")).map((file) => file.replace(/\.yaml$/, "")).sort();
  assert.deepEqual(files, INIT_TEMPLATES.map((template) => template.name).sort());
  const listed = await spire(["init", "--list"], { data: tempDir(t) });
  assert.equal(listed.code, 0);
  assert.deepEqual(
    listed.stdout.trimEnd().split("\n").map((line) => line.split(/\s+/)[0]),
    INIT_TEMPLATES.map((template) => template.name),
  );
});

test("each template is written private, pointing editors at this installation's schema, and otherwise as it is in the package", async (t) => {
  const dir = tempDir(t);
  for (const template of INIT_TEMPLATES) {
    // Each is also validated and run, below.
    const file = join(dir, `${template.name}.yaml`);
    const result = await spire(["init", "-t", template.name, "-f", file], { data: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const [first, ...rest] = readFileSync(file, "utf8").split("\n");
    const url = /^# yaml-language-server: \$schema=(file:\/\/\/\S+)$/.exec(first!);
    assert.ok(url, first);
    assert.ok(existsSync(fileURLToPath(url[1]!)), `the schema is where the line says: ${url[1]}`);
    const [, ...original] = readFileSync(join(REPO_ROOT, "templates", `${template.name}.yaml`), "utf8").split("\n");
    assert.deepEqual(rest, original);
    // A person learns the format from it: most lines are explained.
    assert.ok(rest.filter((line) => line.includes("#")).length >= 15, `${template.name} is commented`);
  }
});

test("an existing file is never overwritten: exit 2, and how to choose another name", async (t) => {
  const dir = tempDir(t);
  const first = await spire(["init"], { data: dir, cwd: dir });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^wrote spire\.yaml \(the blank template: pipeline hello\)\. Read it, change it, then:\n {2}spire validate\n/);
  writeFileSync(join(dir, "spire.yaml"), "mine\n");
  const again = await spire(["init", "--template", "backup"], { data: dir, cwd: dir });
  assert.equal(again.code, 2);
  assert.equal(again.stderr, "spire: spire.yaml already exists: nothing was written\nChoose another name with -f: spire init -f backup.yaml --template backup\n");
  assert.equal(readFileSync(join(dir, "spire.yaml"), "utf8"), "mine\n");
  const unknown = await spire(["init", "--template", "nightly"], { data: dir, cwd: dir });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /argument 'nightly' is invalid\. Allowed choices are blank, backup, monitor, etl\./);
});

test("blank runs as written: three tasks, an output handed from one to the next", async (t) => {
  const { dir, file } = await initialised(t, "blank");
  const run = await runJson(file, dir, []);
  assert.equal(run.state, "succeeded");
  assert.deepEqual(run.tasks.map((task) => `${task.name}:${task.state}`), ["greet:succeeded", "clock:succeeded", "both:succeeded"]);
  assert.match(run.tasks[1]!.outputs["now"]!, /^\d\d:\d\d$/);
});

test("backup archives the folder, checks the archive and keeps only the newest", async (t) => {
  const { dir, file } = await initialised(t, "backup");
  mkdirSync(join(dir, "data", "notes"), { recursive: true });
  writeFileSync(join(dir, "data", "notes", "today.txt"), "remember\n");
  mkdirSync(join(dir, "backups"));
  for (const [index, stamp] of ["20200101-000000", "20200102-000000", "20200103-000000"].entries()) {
    const old = join(dir, "backups", `backup-${stamp}.tar.gz`);
    writeFileSync(old, "old");
    utimesSync(old, new Date(Date.UTC(2020, 0, index + 1)), new Date(Date.UTC(2020, 0, index + 1)));
  }
  const run = await runJson(file, dir, ["backup", "--arg", "keep=2"]);
  assert.deepEqual(run.tasks.map((task) => `${task.name}:${task.state}`), ["archive:succeeded", "verify:succeeded", "prune:succeeded"]);
  const archive = run.tasks[0]!.outputs["archive"]!;
  const kept = readdirSync(join(dir, "backups")).sort();
  assert.deepEqual(kept, ["backup-20200103-000000.tar.gz", archive.replace("./backups/", "")]);
  assert.match(execFileSync("tar", ["-tzf", join(dir, archive)], { encoding: "utf8" }), /notes\/today\.txt/);
});

test("monitor checks a page over HTTP and the free disk space", async (t) => {
  const { dir, file } = await initialised(t, "monitor");
  const asked: string[] = [];
  const server = createServer((request, response) => {
    asked.push(request.url ?? "");
    response.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const { port } = server.address() as { port: number };
  const run = await runJson(file, dir, ["monitor", "--arg", `url=http://127.0.0.1:${port}/health`, "--arg", "min_free_gib=0"]);
  assert.deepEqual(run.tasks.map((task) => `${task.name}:${task.state}`).sort(), ["disk:succeeded", "page:succeeded"]);
  assert.deepEqual(asked, ["/health"]);
});

test("etl extracts a CSV, cleans it, loads it into SQLite and reports; a bad row is a warning", async (t) => {
  const { dir, file } = await initialised(t, "etl");
  writeFileSync(join(dir, "input.csv"), "date,category,amount\n2026-01-02,Food,12.5\n2026-01-03, Rent ,800\nyesterday,food,3\n2026-01-04,food,7.25\n");
  const run = await runJson(file, dir, ["etl"]);
  assert.deepEqual(run.tasks.map((task) => `${task.name}:${task.state}`), ["extract:succeeded", "transform:succeeded", "load:succeeded", "report:succeeded"]);
  assert.equal(run.warnings, 1, "the row dated 'yesterday' is left out, with a warning");
  assert.equal(run.tasks[3]!.outputs["rows"], "3");
  const db = new Database(join(dir, "expenses.sqlite"), { readonly: true });
  t.after(() => db.close());
  assert.deepEqual(db.prepare("select category, sum(amount) as total from expenses group by category order by category").all(), [
    { category: "food", total: 19.75 },
    { category: "rent", total: 800 },
  ]);
});
