/**
 * `spire engine --prunner`: the requests prunner's own server tests make
 * (Flowpack/prunner server/server_test.go), answered with the statuses and
 * shapes they check, by a real engine over real runs; and the ones
 * prunner-ui and Flowpack.Prunner make (job detail, logs, cancel).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { SignJWT, UnsecuredJWT } from "jose";
import { parse } from "yaml";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { stopEngine } from "../helpers/engine.js";
import { until } from "../helpers/poll.js";
import type { PrunnerJob } from "../../src/api/prunner/jobs.js";
import { call, postTooMuch, prunnerToken, startPrunnerEngine, type PrunnerEngine } from "./harness.js";

checkNoLeftoverProcesses();

/** RFC 3339 in whole seconds, as prunner writes times for PHP (TestServer_JobCreationTimeIsRoundedForPhpCompatibility). */
const PHP_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

type Job = PrunnerJob;

async function detail(engine: PrunnerEngine, token: string, id: string): Promise<Job> {
  const answer = await call(engine, "GET", `/job/detail?id=${encodeURIComponent(id)}`, { token });
  assert.equal(answer.status, 200, answer.text);
  return answer.json() as Job;
}

async function schedule(engine: PrunnerEngine, token: string, body: unknown): Promise<string> {
  const answer = await call(engine, "POST", "/pipelines/schedule", { token, body: JSON.stringify(body) });
  assert.equal(answer.status, 202, answer.text);
  const { jobId } = answer.json() as { jobId: unknown };
  assert.equal(typeof jobId, "string");
  return jobId as string;
}

test("prunner's server tests against spire engine --prunner: pipelines, schedule, jobs, logs, cancel", async (t) => {
  const data = tempDir(t);
  const engine = await startPrunnerEngine(t, data);
  try {
    // The secret was made in prunner's own config format, private; Flowpack.Prunner reads jwt_secret from it.
    const file = join(data, "prunner.yml");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const secret = (parse(readFileSync(file, "utf8")) as { jwt_secret: string }).jwt_secret;
    assert.ok(secret.length >= 16);
    // As Flowpack.Prunner makes its tokens: sub and a 60 s expiry, signed with that text.
    const token = await new SignJWT({ sub: "j.doe" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime(Math.floor(Date.now() / 1000) + 60).sign(new TextEncoder().encode(secret));

    // TestServer_Pipelines (prunner answers /pipelines and /pipelines/ alike).
    for (const path of ["/pipelines", "/pipelines/"]) {
      const listed = await call(engine, "GET", path, { token });
      assert.equal(listed.status, 200, listed.text);
      assert.match(listed.type, /^application\/json/);
      assert.deepEqual(listed.json(), {
        pipelines: [
          { pipeline: "release_it", running: false, schedulable: true },
          { pipeline: "slow", running: false, schedulable: true },
        ],
      });
    }

    // TestServer_PipelinesSchedule and TestServer_JobLogs: 202 with a job id; the job completes; its logs are there.
    const jobId = await schedule(engine, token, { pipeline: "release_it", variables: { tag: "v1.17.4", unused: ["mysql"] } });
    await until(async () => (await detail(engine, token, jobId)).completed, "the job to complete");
    const job = await detail(engine, token, jobId);
    assert.equal(job.id, jobId);
    assert.equal(job.pipeline, "release_it");
    assert.equal(job.errored, false);
    assert.equal(job.canceled, false);
    assert.equal(job.user, "j.doe", "the token's sub is the job's user");
    assert.deepEqual(job.variables, { tag: "v1.17.4" }, "variables no task uses are ignored, as prunner does");
    for (const time of [job.created, job.start, job.end]) assert.match(String(time), PHP_TIME);
    assert.deepEqual(job.tasks.map((task) => task.name).sort(), ["build", "deploy", "generate", "lint", "test"]);
    for (const task of job.tasks) {
      assert.equal(task.status, "done", task.name);
      assert.equal(task.exitCode, 0);
      assert.equal(task.errored, false);
      assert.equal(task.skipped, false);
      assert.match(String(task.start), PHP_TIME);
    }
    assert.deepEqual(job.tasks.find((task) => task.name === "deploy")?.dependsOn?.sort(), ["build", "lint", "test"]);
    const logs = await call(engine, "GET", `/job/logs?id=${jobId}&task=lint`, { token });
    assert.equal(logs.status, 200, logs.text);
    assert.deepEqual(logs.json(), { stdout: "out from lint v1.17.4\n", stderr: "err from lint\n" });

    // TestServer_JobCreationTimeIsRoundedForPhpCompatibility: /pipelines/jobs, newest first.
    const both = await call(engine, "GET", "/pipelines/jobs", { token });
    assert.equal(both.status, 200, both.text);
    const listed = both.json() as { pipelines: unknown[]; jobs: Job[] };
    assert.equal(listed.pipelines.length, 2);
    assert.equal(listed.jobs[0]?.id, jobId);
    assert.equal(listed.jobs[0]?.created, job.created);

    // TestServer_JobCancel: a running job is canceled (200, true) and then completed, canceled; the audit names who.
    const slowId = await schedule(engine, token, { pipeline: "slow" });
    await until(async () => (await detail(engine, token, slowId)).tasks[0]?.status === "running", "the slow job to run");
    assert.deepEqual((await call(engine, "GET", "/pipelines/", { token })).json(), {
      pipelines: [
        { pipeline: "release_it", running: false, schedulable: true },
        { pipeline: "slow", running: true, schedulable: true },
      ],
    });
    const canceled = await call(engine, "POST", `/job/cancel?id=${slowId}`, { token });
    assert.equal(canceled.status, 200, canceled.text);
    assert.equal(canceled.json(), true);
    await until(async () => (await detail(engine, token, slowId)).completed, "the canceled job to complete");
    const slow = await detail(engine, token, slowId);
    assert.equal(slow.canceled, true);
    assert.equal(slow.tasks[0]?.status, "canceled");
    const audit = JSON.parse((await spire(["audit", "--json"], { data })).stdout) as { entries?: { actor: string; action: string }[] } | { actor: string; action: string }[];
    const entries = Array.isArray(audit) ? audit : audit.entries ?? [];
    assert.ok(entries.some((entry) => entry.actor === "j.doe" && entry.action === "run.cancel"), JSON.stringify(entries));
    assert.ok(entries.some((entry) => entry.actor === "j.doe" && entry.action === "run.start"));

    // Client mistakes: prunner's statuses and {"error": …}.
    const mistakes: [string, string, number, string][] = [
      ["GET", "/job/detail?id=not-a-job", 400, "Invalid job id"],
      ["GET", "/job/detail", 400, "Invalid job id"],
      ["GET", "/job/detail?id=0000000000000000", 404, "Job not found"],
      ["GET", `/job/logs?id=${jobId}`, 400, "Invalid task name"],
      ["GET", `/job/logs?id=${jobId}&task=nope`, 404, "Task not found"],
      ["POST", "/job/cancel?id=0000000000000000", 404, "Job not found"],
    ];
    for (const [method, path, status, error] of mistakes) {
      const answer = await call(engine, method, path, { token });
      assert.equal(answer.status, status, `${method} ${path}: ${answer.text}`);
      assert.deepEqual(answer.json(), { error }, path);
    }
    const unknown = await call(engine, "POST", "/pipelines/schedule", { token, body: '{"pipeline":"nope"}' });
    assert.equal(unknown.status, 400);
    assert.match((unknown.json() as { error: string }).error, /^Error scheduling pipeline: pipeline "nope" is not defined/);
    const broken = await call(engine, "POST", "/pipelines/schedule", { token, body: "{" });
    assert.equal(broken.status, 400);
    assert.match((broken.json() as { error: string }).error, /^Error decoding JSON/);

    const huge = await postTooMuch(engine, "/pipelines/schedule", token, 6 * 1024 * 1024);
    assert.equal(huge.status, 413, "a body too large is the client's mistake, not a 500");
    assert.match((huge.json() as { error: string }).error, /too large/);

    // Flowpack.Prunner's Guzzle sends the body with no Content-Type at all.
    const bare = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const body = '{"pipeline":"release_it"}';
      const sent = request(`${engine.prunnerUrl}/pipelines/schedule`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-length": Buffer.byteLength(body) } }, (response) => {
        let text = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk)).on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
      });
      sent.on("error", reject);
      sent.end(body);
    });
    assert.equal(bare.status, 202, bare.body);
    const bareId = (JSON.parse(bare.body) as { jobId: string }).jobId;
    await until(async () => (await detail(engine, token, bareId)).completed, "the third job to complete");
  } finally {
    writeFileSync(join(engine.folder, "go"), "");
    await stopEngine(engine);
  }
});

test("every prunner route asks for a good token: none, another secret, expired, unsigned, future → 401 as prunner says it", async (t) => {
  const data = tempDir(t);
  const secret = "a-shared-secret-of-enough-length";
  const engine = await startPrunnerEngine(t, data, { PRUNNER_JWT_SECRET: secret });
  try {
    const key = new TextEncoder().encode(secret);
    const now = Math.floor(Date.now() / 1000);
    const good = await prunnerToken(data, ["--sub", "jane", "--ttl", "1h"], { PRUNNER_JWT_SECRET: secret });
    const refusals: [string | undefined, string][] = [
      [undefined, "no token found"],
      [await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setIssuedAt().sign(new TextEncoder().encode("THIS-IS-WRONG-THIS-IS-WRONG")), "token is unauthorized"],
      [await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setExpirationTime(now - 60).sign(key), "token is expired"],
      [new UnsecuredJWT({ sub: "mallory" }).encode(), "token is unauthorized"],
      [await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setIssuedAt(now + 3600).sign(key), "token iat validation failed"],
      ["not.a.jwt", "token is unauthorized"],
    ];
    const routes: [string, string][] = [["GET", "/pipelines/"], ["GET", "/pipelines/jobs"], ["POST", "/pipelines/schedule"], ["GET", "/job/detail?id=0000000000000000"], ["GET", "/job/logs?id=0000000000000000&task=x"], ["POST", "/job/cancel?id=0000000000000000"], ["GET", "/debug/pprof"]];
    for (const [method, path] of routes) {
      for (const [token, message] of refusals) {
        const answer = await call(engine, method, path, { ...(token === undefined ? {} : { token }), ...(method === "POST" ? { body: '{"pipeline":"slow"}' } : {}) });
        assert.equal(answer.status, 401, `${method} ${path} with ${message}`);
        assert.match(answer.type, /^text\/plain/);
        assert.equal(answer.text, `${message}\n`);
      }
    }
    assert.equal((await call(engine, "GET", "/pipelines/", { token: good })).status, 200, "the token of spire token prunner, made with $PRUNNER_JWT_SECRET");
    assert.equal((await call(engine, "GET", "/debug/pprof", { token: good })).status, 404, "an unknown path, once authenticated");
    // Nothing was started by the refused requests.
    assert.deepEqual((await call(engine, "GET", "/pipelines/jobs", { token: good })).json(), { pipelines: [{ pipeline: "release_it", running: false, schedulable: true }, { pipeline: "slow", running: false, schedulable: true }], jobs: [] });
    // The engine's secret is not the tasks' business.
    const scheduled = await call(engine, "POST", "/pipelines/schedule", { token: good, body: '{"pipeline":"release_it"}' });
    assert.equal(scheduled.status, 202, scheduled.text);
    const jobId = (scheduled.json() as { jobId: string }).jobId;
    await until(async () => ((await call(engine, "GET", `/job/detail?id=${jobId}`, { token: good })).json() as Job).completed, "the job to complete");
    assert.deepEqual((await call(engine, "GET", `/job/logs?id=${jobId}&task=generate`, { token: good })).json(), { stdout: "generate unset\n", stderr: "" });
    const log = await stopEngine(engine).then(() => engine.exit);
    assert.ok(!log.stderr.includes(secret), "the secret never reaches the log");
  } finally {
    await stopEngine(engine);
  }
});

test("a prunner secret shorter than 16 characters is refused, by the engine and by spire token prunner", async (t) => {
  const data = tempDir(t);
  const env = { PRUNNER_JWT_SECRET: "too-short" };
  const engine = await spire(["engine", "--listen", "127.0.0.1:0", "--prunner", "127.0.0.1:0"], { data, env });
  assert.equal(engine.code, 2, engine.stderr);
  assert.match(engine.stderr, /\$PRUNNER_JWT_SECRET has 9 characters: it needs at least 16/);
  assert.ok(!engine.stderr.includes("too-short"));
  const token = await spire(["token", "prunner"], { data, env });
  assert.equal(token.code, 2);
  assert.match(token.stderr, /at least 16/);
  const remote = await spire(["engine", "--listen", "127.0.0.1:0", "--prunner", "0.0.0.0:9009"], { data });
  assert.equal(remote.code, 2);
  assert.match(remote.stderr, /refusing to listen on 0\.0\.0\.0:9009/);
});
