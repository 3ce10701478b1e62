/**
 * `spire engine --tls-cert FILE --tls-key FILE`: the engine serves https.
 * Wrong files are refused before anything starts, naming the option and the
 * file; the address file has the https URL; the CLI talks to it once it
 * trusts the certificate (NODE_EXTRA_CA_CERTS) and, until then, says so
 * rather than working on the data folder behind the engine's back; the web
 * UI's session cookie is Secure.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "node:https";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";
import { makeCertificate } from "../helpers/certificate.js";

checkNoLeftoverProcesses();

function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
}

test("wrong certificate or key files are refused before the engine starts: exit 2, the option, the file and what to do", async (t) => {
  const data = tempDir(t);
  const { cert, key } = makeCertificate(join(data, "tls"), ["127.0.0.1"]);
  const other = makeCertificate(join(data, "tls"), ["127.0.0.1"], "other-");
  const open = join(data, "tls", "open-key.pem");
  writeFileSync(open, readFileSync(key));
  chmodSync(open, 0o644);
  const garbage = join(data, "tls", "garbage.pem");
  writeFileSync(garbage, "not a certificate\n", { mode: 0o600 });
  const missing = join(data, "tls", "missing.pem");
  const cases: [string[], RegExp, RegExp][] = [
    [["--tls-cert", cert], /--tls-cert needs --tls-key too/, /--tls-cert \S+ --tls-key/],
    [["--tls-key", key], /--tls-key needs --tls-cert too/, /--tls-cert \S+ --tls-key/],
    [["--tls-cert", missing, "--tls-key", key], new RegExp(`--tls-cert ${missing}: cannot read it: there is no such file`), /For example/],
    [["--tls-cert", cert, "--tls-key", join(data, "tls")], /--tls-key \S+tls: cannot read it: it is a folder, not a file/, /For example/],
    [["--tls-cert", garbage, "--tls-key", key], new RegExp(`--tls-cert ${garbage} is not a PEM certificate`), /For example/],
    [["--tls-cert", key, "--tls-key", cert], new RegExp(`--tls-cert ${key} holds a private key, not a certificate`), /Were the two swapped\?/],
    [["--tls-cert", cert, "--tls-key", garbage], new RegExp(`--tls-key ${garbage} is not a PEM private key`), /For example/],
    [["--tls-cert", cert, "--tls-key", open], new RegExp(`--tls-key ${open}: other users of this machine can read or change it \\(mode 0644\\)`), new RegExp(`chmod 600 ${open}`)],
    [["--tls-cert", cert, "--tls-key", other.key], new RegExp(`--tls-key ${other.key} is not the private key of the certificate in --tls-cert ${cert}`), /openssl x509 -noout -pubkey/],
  ];
  for (const [args, message, hint] of cases) {
    const result = await spire(["engine", "--listen", "127.0.0.1:0", ...args], { data });
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(" "));
    assert.match(result.stderr, hint, args.join(" "));
    assertNoStack(result.stderr);
  }
  assert.equal(existsSync(join(data, "engine.json")), false, "no engine started");
});

test("without TLS, listening where other machines reach it is refused, and the hint names --tls-cert", async (t) => {
  const data = tempDir(t);
  const result = await spire(["engine", "--listen", "0.0.0.0:7431"], { data });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /refusing to listen on 0\.0\.0\.0:7431: that is reachable from other machines, and plain http would carry tokens and secrets in clear/);
  assert.match(result.stderr, /Serve https there \(--tls-cert FILE --tls-key FILE\); or pass --allow-remote when a TLS proxy in front does/);
});

test("an https engine: the address file has its https URL; the CLI refuses an untrusted certificate (and does not fall back to the data folder), works with NODE_EXTRA_CA_CERTS; the session cookie is Secure", async (t) => {
  const data = tempDir(t);
  const { cert, key } = makeCertificate(join(data, "tls"), ["127.0.0.1", "localhost"]);
  const engine = await startEngine(t, data, ["--tls-cert", cert, "--tls-key", key]);
  assert.match(engine.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal((JSON.parse(readFileSync(join(data, "engine.json"), "utf8")) as { url: string }).url, engine.url);
  const file = pipelineFile(data, "pipelines:\n  hello:\n    tasks:\n      say: { run: echo hello over https }\n");
  const untrusting = { SPIRE_ENGINE: "" };
  const trusted = { SPIRE_ENGINE: "", NODE_EXTRA_CA_CERTS: cert };

  const refused = await spire(["apply", "-f", file], { data, env: untrusting });
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /cannot trust the engine at https:\/\/127\.0\.0\.1:\d+: this machine does not trust its certificate \(self-signed certificate\)/);
  assert.match(refused.stderr, /set NODE_EXTRA_CA_CERTS to a copy of the engine's --tls-cert file/);
  assertNoStack(refused.stderr);
  // Had it taken the engine for absent, it would have applied to the data folder itself.
  const listed = await spire(["ls", "--json"], { data, env: trusted });
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout), []);

  assert.equal((await spire(["apply", "-f", file], { data, env: trusted })).code, 0);
  const run = await spire(["run", "hello"], { data, env: trusted });
  assert.equal(run.code, 0, run.stderr);
  const logs = await spire(["logs", "last", "say"], { data, env: trusted });
  assert.match(logs.stdout, /hello over https/);
  const localhost = await spire(["--engine", engine.url.replace("127.0.0.1", "localhost"), "ls"], { data, env: { ...trusted, SPIRE_TOKEN: readFileSync(join(data, "token"), "utf8").trim() } });
  assert.equal(localhost.code, 0, localhost.stderr);
  assert.match(localhost.stdout, /hello/);

  const token = readFileSync(join(data, "token"), "utf8").trim();
  const login = await post(`${engine.url}/api/v1/sessions`, JSON.stringify({ token }), readFileSync(cert));
  assert.equal(login.status, 201);
  assert.match(login.cookie ?? "", /spire_session=[^;]+;.*; Secure$/, "the session cookie is Secure when the engine serves https");
  await stopEngine(engine);
});

test("a certificate that does not name the engine's address: the engine says so at start, and the CLI says the name does not match", async (t) => {
  const data = tempDir(t);
  const { cert, key } = makeCertificate(join(data, "tls"), ["spire.example"]);
  const engine = await startEngine(t, data, ["--tls-cert", cert, "--tls-key", key]);
  const result = await spire(["ls"], { data, env: { SPIRE_ENGINE: "", NODE_EXTRA_CA_CERTS: cert } });
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /cannot trust the engine at https:\/\/127\.0\.0\.1:\d+: its certificate is not valid for 127\.0\.0\.1 \(/);
  assert.match(result.stderr, /Use a name or address the certificate has/);
  await stopEngine(engine);
  const log = (await engine.exit).stderr;
  assert.match(log, /the --tls-cert certificate is not valid for 127\.0\.0\.1, the address this machine's CLI uses/);
});

function post(url: string, body: string, ca: Buffer): Promise<{ status: number; cookie: string | undefined }> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { method: "POST", headers: { "content-type": "application/json" }, ca }, (response) => {
      response.resume();
      response.on("end", () => resolve({ status: response.statusCode ?? 0, cookie: response.headers["set-cookie"]?.[0] }));
    });
    sent.on("error", reject);
    sent.end(body);
  });
}
