/**
 * A hostile argument through every runner's fields that take values
 * (SPEC: no value ever becomes shell code): it reaches each task literally
 * and runs nothing. Through the real `spire run -f`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";

checkNoLeftoverProcesses();

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
  // A "#" in a URL starts its fragment, which clients never send: the URL carries the value up to it.
  assert.deepEqual(received, [value.split("#")[0], value, value], "the URL, a header and the body carry the value as it is");
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
