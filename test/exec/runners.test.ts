import { test } from "node:test";
import assert from "node:assert/strict";
import { commandFor } from "../../src/runners/runners.js";
import { containerName, splitWords } from "../../src/runners/docker.js";
import type { TaskDef } from "../../src/definitions/schema.js";

const context = { cwd: "/work/dir", nodePath: "/usr/bin/node", nodeVersion: "20.11.0" };
const task = (fields: Partial<TaskDef> & { kind: TaskDef["kind"] }): TaskDef => ({ needs: [], on_fail: [], on_done: [], ...fields }) as TaskDef;

test("run, exec, python, node", () => {
  assert.deepEqual(commandFor(task({ kind: "run", run: "echo hi" }), context), { argv: ["sh", "-c", "echo hi"] });
  assert.deepEqual(commandFor(task({ kind: "run", run: 'echo "$1"', shell: "bash", args: ["a b"] }), context), {
    argv: ["bash", "-c", 'echo "$1"', "spire", "a b"],
  });
  assert.deepEqual(commandFor(task({ kind: "exec", exec: ["gzip", "-f", "$(x) y"] }), context), { argv: ["gzip", "-f", "$(x) y"] });
  assert.deepEqual(commandFor(task({ kind: "python", python: "print(1)" }), context), { argv: ["python3", "-c", "print(1)"] });
  assert.deepEqual(commandFor(task({ kind: "python", python: "print(1)", interpreter: "python3.12" }), context), { argv: ["python3.12", "-c", "print(1)"] });
  assert.deepEqual(commandFor(task({ kind: "node", node: "1" }), context), { argv: ["/usr/bin/node", "-e", "1"] });
});

test("script by extension, relative to cwd, with args", () => {
  const script = (name: string, more: Partial<TaskDef> = {}) => commandFor(task({ kind: "script", script: name, args: ["--x", "1"], ...more }), context);
  assert.deepEqual(script("job.py"), { argv: ["python3", "/work/dir/job.py", "--x", "1"] });
  assert.deepEqual(script("/abs/job.mjs"), { argv: ["/usr/bin/node", "/abs/job.mjs", "--x", "1"] });
  assert.deepEqual(script("bin/job.sh"), { argv: ["/work/dir/bin/job.sh", "--x", "1"] });
  assert.deepEqual(script("job.py", { interpreter: "pypy3" }), { argv: ["pypy3", "/work/dir/job.py", "--x", "1"] });
  const ts = script("job.ts");
  assert.ok("error" in ts && /Node 22\.6/.test(ts.error) && /tsx/.test(ts.error), JSON.stringify(ts));
  assert.deepEqual(commandFor(task({ kind: "script", script: "job.ts" }), { ...context, nodeVersion: "22.6.0" }), {
    argv: ["/usr/bin/node", "--experimental-strip-types", "--disable-warning=ExperimentalWarning", "/work/dir/job.ts"],
  });
  assert.deepEqual(commandFor(task({ kind: "script", script: "job.ts" }), { ...context, nodeVersion: "24.1.0" }), { argv: ["/usr/bin/node", "/work/dir/job.ts"] });
});

test("uv, docker, http, group", () => {
  assert.deepEqual(commandFor(task({ kind: "uv", uv: "tool.py", args: ["a"] }), context), { argv: ["uv", "run", "--script", "tool.py", "a"] });
  const docker = commandFor(
    task({ kind: "docker", docker: { image: "alpine:3", command: "sh -c 'echo \"$X\"'", volumes: ["/a:/b"], env: { X: "$(id)" } } }),
    { ...context, id: "run1:checks/size:2" },
  );
  assert.deepEqual(docker, {
    argv: ["docker", "run", "--rm", "--name", containerName("run1:checks/size:2"), "--volume", "/a:/b", "--env", "X=$(id)", "alpine:3", "sh", "-c", 'echo "$X"'],
  });
  assert.match(containerName("run1:checks/size:2"), /^spire-run1-checks-size-2-[0-9a-f]{8}$/);
  assert.notEqual(containerName("a/b"), containerName("a:b"));
  assert.ok("error" in commandFor(task({ kind: "docker", docker: { image: "--privileged", volumes: [], env: {} } }), context));
  assert.deepEqual(commandFor(task({ kind: "http", http: { url: "http://x", method: "GET", headers: {} } }), context), { error: "http tasks are run by the engine" });
  assert.ok("error" in commandFor(task({ kind: "group", group: {} }), context));
});

test("splitWords splits like a shell without expanding anything", () => {
  assert.deepEqual(splitWords(`a  'b c' "d \\"e\\"" f\\ g $(h) ''`), ["a", "b c", 'd "e"', "f g", "$(h)", ""]);
});
