/**
 * `http:` tasks, made by the engine itself and logged like any task, driven
 * through the real `spire run -f` against a real local HTTP server.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";

checkNoLeftoverProcesses();

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A local server: /ok answers 200 with two lines, /created 201, /aaa 200 with 40 a's and a b, /slow never answers; every request is kept. */
async function server(t: TestContext): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const open = new Set<ServerResponse>();
  const http = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      seen.push({ method: request.method!, url: request.url!, headers: request.headers, body });
      if (request.url!.startsWith("/ok")) response.end("all good\n::output::answer=42\n");
      else if (request.url!.startsWith("/created")) response.writeHead(201).end("made\n");
      else if (request.url!.startsWith("/aaa")) response.end(`${"a".repeat(40)}b`);
      else open.add(response); // /slow: no answer
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    for (const response of open) response.destroy();
    http.closeAllConnections();
    http.close();
  });
  return { base: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, seen };
}

async function run(t: TestContext, yaml: string, args: string[] = []) {
  const data = tempDir(t);
  const file = join(data, "spire.yaml");
  writeFileSync(file, yaml);
  const result = await spire(["run", "-f", file, "--json", ...args], { data });
  return { data, result, run: JSON.parse(result.stdout) as { state: string; tasks: { path: string; state: string; reason: string | null; outputs: Record<string, string> }[] } };
}

test("an http task sends the request, logs the answer, passes its status and outputs downstream", async (t) => {
  const { base, seen } = await server(t);
  const yaml = `pipelines:
  p:
    tasks:
      call:
        http:
          url: "${base}/ok?who=\${{ args.who }}"
          method: POST
          headers: { x-spire: "yes" }
          body: '{"who": "\${{ args.who }}"}'
          expect: { status: 200, body: "good" }
      after:
        needs: [call]
        exec: [echo, "\${{ tasks.call.outputs.status }} \${{ tasks.call.outputs.answer }}"]
    args:
      who: { default: ada }
`;
  const { data, result, run: object } = await run(t, yaml);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.equal(object.state, "succeeded");
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.method, "POST");
  assert.equal(seen[0]!.url, "/ok?who=ada");
  assert.equal(seen[0]!.headers["x-spire"], "yes");
  assert.equal(seen[0]!.body, '{"who": "ada"}');
  const call = object.tasks.find((task) => task.path === "call")!;
  assert.deepEqual(call.outputs, { answer: "42", status: "200" });
  assert.equal((await spire(["logs", "last", "after"], { data })).stdout, "200 42\n");
  const logs = await spire(["logs", "last", "call"], { data });
  const log = logs.stdout;
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(log, new RegExp(`^POST ${base}/ok\\?who=ada$`, "m"), "the request is in the log");
  assert.match(log, /^200 OK after \d/m);
  assert.match(log, /^all good$/m, "the body is in the log");
});

test("an answer other than expected fails the task with the reason", async (t) => {
  const { base } = await server(t);
  const wrongStatus = await run(t, `pipelines:\n  p:\n    tasks:\n      call: { http: { url: "${base}/ok", expect: 201 } }\n`);
  assert.equal(wrongStatus.result.code, 1);
  assert.equal(wrongStatus.run.tasks[0]!.state, "failed");
  assert.equal(wrongStatus.run.tasks[0]!.reason, "expected status 201, got 200");
  const wrongBody = await run(t, `pipelines:\n  p:\n    tasks:\n      call: { http: { url: "${base}/created", expect: { status: [200, 201], body: "^fine" } } }\n`);
  assert.equal(wrongBody.run.tasks[0]!.state, "failed");
  assert.equal(wrongBody.run.tasks[0]!.reason, 'the response body does not match "^fine"');
  const anyTwoHundred = await run(t, `pipelines:\n  p:\n    tasks:\n      call: { http: { url: "${base}/created" } }\n`);
  assert.equal(anyTwoHundred.run.state, "succeeded", "without expect, any 2xx passes");
  // A body made to fit a pattern with nested repetition: 2^40 ways to split it, answered at once (output-patterns.ts).
  const madeToFit = await run(t, `pipelines:\n  p:\n    tasks:\n      call: { http: { url: "${base}/aaa", expect: { body: "^(a+)+$" } }, timeout: 20s }\n`);
  assert.equal(madeToFit.run.tasks[0]!.reason, 'the response body does not match "^(a+)+$"');
});

test("a request that hangs times out; one that cannot connect fails saying why", async (t) => {
  const { base } = await server(t);
  const began = Date.now();
  const slow = await run(t, `pipelines:\n  p:\n    tasks:\n      call: { http: { url: "${base}/slow", timeout: 300ms } }\n`);
  assert.equal(slow.run.tasks[0]!.state, "timed_out");
  assert.equal(slow.run.tasks[0]!.reason, "timed out after 300ms");
  assert.ok(Date.now() - began < 10_000);
  // A port nothing listens on: the server's own port after it is closed would race, so ask the kernel for a free one and close it.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const refused = await run(t, `pipelines:\n  p:\n    tasks:\n      call: { http: { url: "http://127.0.0.1:${port}/" } }\n`);
  assert.equal(refused.run.tasks[0]!.state, "failed");
  assert.match(refused.run.tasks[0]!.reason!, /^request failed: ECONNREFUSED/);
});

test("a secret argument in the URL is masked in the log and the run", async (t) => {
  const { base, seen } = await server(t);
  const secret = "s3cr3t-token-value";
  const yaml = `pipelines:\n  p:\n    args:\n      token: { secret: true }\n    tasks:\n      call: { http: { url: "${base}/ok?token=\${{ args.token }}", expect: 500 } }\n`;
  const { data, result } = await run(t, yaml, ["--arg", `token=${secret}`]);
  assert.equal(seen[0]!.url, `/ok?token=${secret}`, "the server got the real value");
  assert.doesNotMatch(result.stdout, new RegExp(secret));
  const log = (await spire(["logs", "last", "call"], { data })).stdout;
  assert.match(log, /token=\*\*\*/);
  assert.doesNotMatch(log, new RegExp(secret));
});
