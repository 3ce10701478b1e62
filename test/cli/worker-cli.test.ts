/**
 * `spire worker` as a user meets its refusals: each mistake is said with the
 * option it concerns and what to do, exit 2 (3 for an engine it cannot
 * trust), before the worker starts anything. And a worker against an engine
 * that serves https with a self-signed certificate: refused until
 * NODE_EXTRA_CA_CERTS names that certificate, then registered.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { finished, spire, startSpire } from "../helpers/cli.js";
import { startEngine, stopEngine } from "../helpers/engine.js";
import { makeCertificate } from "../helpers/certificate.js";
import { until } from "../helpers/poll.js";

checkNoLeftoverProcesses();

/** No engine or token from the environment of whoever runs the tests. */
const CLEAN = { SPIRE_ENGINE: "", SPIRE_TOKEN: "" };

function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
}

test("plain http to another machine is refused without --allow-insecure: exit 2, why, and the two ways out", async (t) => {
  const data = tempDir(t);
  const result = await spire(["worker", "--engine", "http://192.0.2.10:7431", "--token", "T", "--labels", "gpu"], { data, env: CLEAN });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /--engine http:\/\/192\.0\.2\.10:7431: plain http to another machine would carry this worker's token and its tasks' secrets in clear/);
  assert.match(result.stderr, /spire engine --tls-cert … --tls-key …/);
  assert.match(result.stderr, /Tailscale, WireGuard, an SSH tunnel\), add --allow-insecure/);
  assertNoStack(result.stderr);
  assert.equal(existsSync(join(data, "worker")), false, "nothing was started or made");
});

test("the worker's other mistakes: no engine, not a URL, another scheme, no token, a bad name, a bad label, a bad --tasks", async (t) => {
  const data = tempDir(t);
  const cases: [string[], RegExp, RegExp][] = [
    [["worker", "--token", "T"], /a worker needs its engine: --engine URL, or SPIRE_ENGINE/, /For example: --engine https:\/\/laptop\.tail1234\.ts\.net:7431 --token T \(or SPIRE_ENGINE and SPIRE_TOKEN\)/],
    [["worker", "--engine", "laptop:7431", "--token", "T"], /--engine "laptop:7431": only http:\/\/ and https:\/\/ engines exist/, /For example: --engine https:\/\//],
    [["worker", "--engine", "not a url", "--token", "T"], /--engine "not a url" is not a URL/, /For example: --engine https:\/\//],
    [["worker", "--engine", "ftp://192.0.2.10:7431", "--token", "T"], /only http:\/\/ and https:\/\/ engines exist/, /For example: --engine https:\/\//],
    [["worker", "--engine", "https://192.0.2.10:7431"], /a worker needs a token: --token T, or SPIRE_TOKEN/, /spire token create --scope worker --name MY-WORKER/],
    [["worker", "--engine", "https://192.0.2.10:7431", "--token", "T", "--name", "-gpu"], /--name "-gpu": a worker's name is 1–64 of/, /For example: --name gpu-box/],
    [["worker", "--engine", "https://192.0.2.10:7431", "--token", "T", "--labels", "gpu,has space"], /--labels: "has space" is not a label/, /For example: --labels gpu,linux/],
    [["worker", "--engine", "https://192.0.2.10:7431", "--token", "T", "--tasks", "0"], /--tasks must be a whole number of at least 1, got "0"/, /For example: --tasks 4/],
    [["worker", "--engine", "https://192.0.2.10:7431", "--token", "T", "--tasks", "two"], /--tasks must be a whole number of at least 1, got "two"/, /For example: --tasks 4/],
  ];
  for (const [args, message, hint] of cases) {
    const result = await spire(args, { data, env: CLEAN });
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(" "));
    assert.match(result.stderr, hint, args.join(" "));
    assertNoStack(result.stderr);
  }
  assert.equal(existsSync(join(data, "worker")), false, "nothing was started or made");
});

test("a worker and an https engine with a self-signed certificate: refused (exit 3, naming NODE_EXTRA_CA_CERTS) until it trusts the certificate, then registered", async (t) => {
  const data = tempDir(t);
  const { cert, key } = makeCertificate(join(data, "tls"), ["127.0.0.1"]);
  const engine = await startEngine(t, data, ["--tls-cert", cert, "--tls-key", key]);
  assert.match(engine.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  // The local CLI finds the engine and its admin token in the data folder; it trusts the certificate through NODE_EXTRA_CA_CERTS.
  const trusted = { SPIRE_ENGINE: "", NODE_EXTRA_CA_CERTS: cert };
  const made = await spire(["token", "create", "--scope", "worker", "--name", "box"], { data, env: trusted });
  assert.equal(made.code, 0, made.stderr);
  const token = made.stdout.trim();
  const workerData = join(data, "box");

  const untrusting = await spire(["worker", "--engine", engine.url, "--token", token, "--name", "box", "--data", workerData], { data, env: CLEAN });
  assert.equal(untrusting.code, 3, untrusting.stderr);
  assert.match(untrusting.stderr, new RegExp(`cannot trust the engine at ${engine.url.replace(/\./g, "\\.")}: this machine does not trust its certificate \\(self-signed certificate\\)`));
  assert.match(untrusting.stderr, /NODE_EXTRA_CA_CERTS/);
  assertNoStack(untrusting.stderr);

  const worker = startSpire(["worker", "--engine", engine.url, "--token", token, "--name", "box", "--data", workerData], { data, env: trusted });
  const exit = finished(worker);
  await until(
    async () => {
      const listed = await spire(["workers", "--json"], { data, env: trusted });
      return listed.code === 0 && (JSON.parse(listed.stdout) as { name: string; state: string }[]).some((each) => each.name === "box" && each.state === "connected");
    },
    "the worker to register over https",
    15_000,
  );
  worker.kill("SIGTERM");
  assert.equal((await exit).code, 0);
  await stopEngine(engine);
});
