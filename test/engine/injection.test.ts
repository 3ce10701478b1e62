/**
 * A hostile argument through every runner's fields that take values
 * (SPEC: no value ever becomes shell code): it reaches each task literally
 * and runs nothing. Through the real `spire run -f`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";

checkNoLeftoverProcesses();

interface RunView {
  state: string;
  tasks: { path: string; state: string; reason: string | null }[];
}

async function runJson(file: string, args: string[], data: string): Promise<{ code: number | null; run: RunView; stderr: string }> {
  const result = await spire(["run", "-f", file, "--json", ...args], { data });
  assert.ok(result.stdout.trim().startsWith("{"), result.stdout + result.stderr);
  return { code: result.code, run: JSON.parse(result.stdout) as RunView, stderr: result.stderr };
}

/** What each task of the last run printed, from one `spire logs last` (each line comes as "TASK LINE"). */
async function printedByTask(data: string): Promise<Map<string, string>> {
  const printed = new Map<string, string>();
  for (const line of (await spire(["logs", "last", "--stream", "stdout"], { data })).stdout.split("\n").slice(0, -1)) {
    const space = line.indexOf(" ");
    const task = line.slice(0, space);
    printed.set(task, `${printed.get(task) ?? ""}${line.slice(space + 1)}\n`);
  }
  return printed;
}

test("the safe forms: a payload passed with --arg reaches sh, bash, env, python and node as one argument and runs nothing", async (t) => {
  const dir = tempDir(t);
  const witness = join(dir, "pwned");
  const value = `$(touch ${witness}); \`touch ${witness}\`; touch ${witness} #'"\n; touch ${witness}`;
  // node reads options after -e's code: without the runner's "--", this argument would be code.
  const option = `--eval=require("fs").writeFileSync(${JSON.stringify(witness)}, "")`;
  const file = join(dir, "spire.yaml");
  writeFileSync(
    file,
    `pipelines:
  safe:
    args:
      value: { required: true }
      option: { required: true }
    tasks:
      sh_arg: { exec: [sh, -c, 'printf "%s\\n" "$1"', sh, "\${{ args.value }}"] }
      bash_env: { exec: [bash, -lc, 'printf "%s\\n" "$VALUE"'], env: { VALUE: "\${{ args.value }}" } }
      env_sh: { exec: [/usr/bin/env, A=1, nice, sh, -ec, 'printf "%s\\n" "$1"', sh, "\${{ args.value }}"] }
      run_arg: { run: 'printf "%s\\n" "$1"', args: ["\${{ args.value }}"] }
      py_arg: { exec: [python3, -c, "import sys; print(sys.argv[1])", "\${{ args.value }}"] }
      node_arg: { node: "console.log(process.argv[1])", args: ["\${{ args.option }}"] }
      node_exec: { exec: [node, -e, "console.log(process.argv[1])", --, "\${{ args.option }}"] }
`,
  );
  const data = join(dir, "data");
  const { code, run, stderr } = await runJson(file, ["--arg", `value=${value}`, "--arg", `option=${option}`], data);
  assert.equal(code, 0, stderr + JSON.stringify(run.tasks));
  const printed = await printedByTask(data);
  for (const task of ["sh_arg", "bash_env", "env_sh", "run_arg", "py_arg"]) assert.equal(printed.get(task), `${value}\n`, task);
  for (const task of ["node_arg", "node_exec"]) assert.equal(printed.get(task), `${option}\n`, task);
  assert.equal(existsSync(witness), false, "the payload must not run");
});

test("the unsafe form is refused before anything runs: spire run -f with exec: [sh, -c, \"echo \${{ args.x }}\"]", async (t) => {
  const dir = tempDir(t);
  const witness = join(dir, "pwned");
  const file = join(dir, "spire.yaml");
  writeFileSync(file, 'pipelines:\n  p:\n    args: { x: { default: hi } }\n    tasks:\n      t: { exec: [sh, -c, "echo ${{ args.x }}"] }\n');
  const result = await spire(["run", "-f", file, "--arg", `x=$(touch ${witness})`], { data: join(dir, "data") });
  assert.equal(result.code, 2);
  assert.ok(result.stderr.includes(`${file}:5:33  pipelines.p.tasks.t.exec[2]: \`\${{ args.x }}\` is part of the code sh runs: values never become code — pass it as an argument after the code: [sh, -c, 'echo "$1"', sh, "\${{ args.x }}"]`), result.stderr);
  assert.equal(existsSync(witness), false);
});

test("a value after a fixed part of a path cannot climb out of it, nor add a docker mount; in a URL it is one component", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "sites", "a"), { recursive: true });
  const received: string[] = [];
  const server = createServer((request, response) => {
    received.push(request.url!);
    response.end("ok\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const file = join(dir, "spire.yaml");
  writeFileSync(
    file,
    `pipelines:
  paths:
    args:
      site: { required: true }
    tasks:
      in_site: { exec: [pwd], cwd: "sites/\${{ args.site }}" }
      call: { http: { url: "${base}/files/\${{ args.site }}?q=\${{ args.site }}" } }
  mount:
    args:
      site: { required: true }
    tasks:
      box: { docker: { image: alpine, volumes: ["\${{ args.site }}:/data"], command: [ls, /data] } }
`,
  );
  const data = join(dir, "data");
  const inside = await runJson(file, ["--arg", "site=a", "paths"], data);
  assert.equal(inside.code, 0, JSON.stringify(inside.run.tasks));

  const escaping = await runJson(file, ["--arg", "site=../../..", "paths"], data);
  const task = (path: string) => escaping.run.tasks.find((candidate) => candidate.path === path)!;
  assert.equal(task("in_site").state, "failed");
  assert.equal(task("in_site").reason, 'the value of args.site holds a ".." segment, which would leave the folder cwd names before it: the task was not run');
  assert.equal(task("call").state, "succeeded", "in a URL it is one encoded path segment, not a move up");

  // Refused before docker is asked: nothing is mounted, whether or not docker is installed.
  const mounting = await runJson(file, ["--arg", "site=/:/host:rw", "mount"], data);
  assert.deepEqual(mounting.run.tasks.map((candidate) => [candidate.state, candidate.reason]), [
    ["failed", 'the value of args.site holds ":", which in a docker volume would add a mount target or options: the task was not run'],
  ]);
  assert.deepEqual(received, ["/files/a?q=a", "/files/..%2F..%2F..?q=..%2F..%2F.."]);
});

test("a value like $(touch …) reaches python, node, script, docker and http tasks literally and creates nothing", async (t) => {
  const dir = tempDir(t);
  const witness = join(dir, "pwned");
  const value = `$(touch ${witness}); \`touch ${witness}\`; touch ${witness} #'"`;
  const received: string[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      received.push(decodeURIComponent(request.url!.slice("/?v=".length)), String(request.headers["x-value"]), body);
      response.end("ok\n");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writeFileSync(join(dir, "echo.py"), "import sys\nprint(sys.argv[1])\n");
  writeFileSync(join(dir, "echo.mjs"), "console.log(process.argv[2]);\n");
  const file = join(dir, "spire.yaml");
  writeFileSync(
    file,
    `pipelines:
  inject:
    args:
      value: { required: true }
    tasks:
      py:
        python: "import os, sys; print(sys.argv[1]); print(os.environ['SPIRE_ARG_VALUE'])"
        args: ["\${{ args.value }}"]
      js:
        node: "console.log(process.argv[1]); console.log(process.env.V)"
        args: ["\${{ args.value }}"]
        env: { V: "\${{ args.value }}" }
      py_script:
        script: echo.py
        args: ["\${{ args.value }}"]
      js_script:
        script: echo.mjs
        args: ["\${{ args.value }}"]
      call:
        http:
          url: "${base}/?v=\${{ args.value }}"
          method: POST
          headers: { x-value: "\${{ args.value }}" }
          body: "\${{ args.value }}"
`,
  );
  const data = join(dir, "data");
  const result = await spire(["run", "-f", file, "--arg", `value=${value}`], { data });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  for (const [task, lines] of [["py", 2], ["js", 2], ["py_script", 1], ["js_script", 1]] as const) {
    const logs = await spire(["logs", "last", task], { data });
    assert.equal(logs.stdout, `${value}\n`.repeat(lines), task);
  }
  // In the URL the value is encoded as one component, so its "#" or "&" cannot end the query: all of it arrives.
  assert.deepEqual(received, [value, value, value], "the URL, a header and the body carry the value as it is");
  assert.equal(existsSync(witness), false, "the injected command must not run");
});

test("a docker task gets the value as one argv item (its container command and env), never shell text", async (t) => {
  const dir = tempDir(t);
  const value = "x; touch /tmp/pwned-by-spire $(id)";
  const file = join(dir, "spire.yaml");
  writeFileSync(
    file,
    `pipelines:
  inject:
    args:
      value: { required: true }
    tasks:
      box:
        docker:
          image: alpine
          command: [echo, "\${{ args.value }}"]
          env: { V: "\${{ args.value }}" }
`,
  );
  const data = join(dir, "data");
  // The docker CLI may be missing or its engine down here: the argv it was given is on record either way.
  await spire(["run", "-f", file, "--arg", `value=${value}`], { data });
  const { openSqliteStore } = await import("../../src/store/sqlite/index.js");
  const store = openSqliteStore(join(data, "spire.db"));
  t.after(() => store.close());
  const [run] = await store.listRuns({ limit: 1 });
  const started = (await store.listEvents(run!.id, 0, 100)).find((event) => event.type === "task.started");
  const argv = started?.data.argv as string[] | null;
  if (argv === null) {
    // docker is not on PATH: nothing was spawned at all.
    assert.match((await store.getRun(run!.id))!.tasks[0]!.reason ?? "", /docker is not installed/);
    return;
  }
  assert.equal(argv[0], "docker");
  assert.ok(argv.includes(value), `the value is one argv item: ${JSON.stringify(argv)}`);
  assert.ok(argv.includes(`V=${value}`), "the env value is one argv item too");
  assert.equal(argv.includes("sh") || argv.includes("-c"), false, "no shell between docker and the command");
});
