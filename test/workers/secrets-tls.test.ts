/**
 * A task's secret never crosses the network in clear. The engine and a
 * worker are in their own network namespaces, and the worker reaches the
 * engine through a TCP proxy in the test runner's namespace that records
 * every byte both ways: over https neither the secret nor the worker's
 * token is in them; over plain http with --allow-insecure (the control,
 * so that the check can fail) both are. And the engine itself refuses to
 * send a secret to a worker whose requests come in clear from another
 * machine when that worker did not say --allow-insecure.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { ChildProcess } from "node:child_process";
import { skipWithoutNetns, type Network } from "../helpers/netns.js";
import { assertNoLeftoverProcesses } from "../helpers/leaks.js";
import { ENGINE_PORT, runToEnd, startCluster, waitUntil, type Cluster } from "./cluster.js";

const skip = skipWithoutNetns();
if (skip) console.log(`# skipped: ${skip}`);

const SECRET = `s3cr3t-${randomBytes(12).toString("hex")}`;

const DEFINITIONS = `pipelines:
  deploy:
    secrets: [MY_SECRET]
    tasks:
      use:
        run: 'test "\${#MY_SECRET}" -eq ${SECRET.length} && echo "it has ${SECRET.length} characters" && echo "the secret is $MY_SECRET"'
        runs_on: [far]
  plain:
    tasks:
      hello: { run: 'echo "no secret here"', runs_on: [far] }
`;

/** A TCP proxy that forwards to `target` and keeps every byte it passes, each way. */
interface RecordingProxy {
  port: number;
  toEngine(): Buffer;
  fromEngine(): Buffer;
  close(): Promise<void>;
}

async function startRecordingProxy(host: string, target: { host: string; port: number }): Promise<RecordingProxy> {
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    }
    client.on("data", (chunk: Buffer) => up.push(chunk));
    upstream.on("data", (chunk: Buffer) => down.push(chunk));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, host, resolve));
  return {
    port: (server.address() as { port: number }).port,
    toEngine: () => Buffer.concat(up),
    fromEngine: () => Buffer.concat(down),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A cluster whose engine has MY_SECRET in its environment, with a recording proxy at the test runner's address in front of it (the engine allows the proxy's name). */
async function clusterBehindProxy(t: TestContext, tls: boolean): Promise<{ cluster: Cluster; proxy: RecordingProxy }> {
  let proxy: RecordingProxy | undefined;
  const cluster = await startCluster(t, ["far"], DEFINITIONS, [], {
    tls,
    engineEnv: { MY_SECRET: SECRET },
    async beforeEngine(network: Network) {
      proxy = await startRecordingProxy(network.rootAddress, { host: network.hosts.get("engine")!.address, port: ENGINE_PORT });
      t.after(() => proxy!.close());
      return ["--allow-host", `${network.rootAddress}:${proxy.port}`];
    },
  });
  return { cluster, proxy: proxy! };
}

async function connected(cluster: Cluster, name: string, worker: ChildProcess): Promise<void> {
  await waitUntil(
    async () => {
      const { status, body } = await cluster.api<{ workers?: { name: string; state: string }[] }>("GET", "/workers");
      return status === 200 && body.workers?.some((each) => each.name === name && each.state === "connected") === true;
    },
    15_000,
    () => `worker ${name} did not connect: ${cluster.stderrOf(worker)}`,
  );
}

async function stopAll(cluster: Cluster, workers: ChildProcess[]): Promise<void> {
  for (const worker of workers) worker.kill("SIGTERM");
  cluster.engine.kill("SIGTERM");
  await cluster.network.close();
  await assertNoLeftoverProcesses();
}

test("over https through a recording proxy: the task gets its secret on the worker, and neither the secret nor the worker's token is in the bytes on the wire", { skip }, async (t) => {
  const { cluster, proxy } = await clusterBehindProxy(t, true);
  const far = cluster.worker("far", ["--labels", "far"], { engine: `https://${cluster.network.rootAddress}:${proxy.port}` });
  await connected(cluster, "far", far);
  const run = await runToEnd(cluster, "deploy");
  assert.equal(run.state, "succeeded", `${JSON.stringify(run.tasks)}\n${cluster.stderrOf(far)}`);
  assert.equal(run.tasks[0]!.worker, "far");
  const logs = await cluster.cli(["logs", run.id, "use"]);
  assert.match(logs.stdout, new RegExp(`it has ${SECRET.length} characters`));
  assert.match(logs.stdout, /the secret is \*\*\*/, "the log masks it");
  assert.doesNotMatch(logs.stdout, new RegExp(SECRET));

  const [up, down] = [proxy.toEngine(), proxy.fromEngine()];
  assert.ok(up.length > 1000 && down.length > 1000, `the worker's traffic went through the proxy (${up.length} bytes up, ${down.length} down)`);
  assert.equal(up[0], 0x16, "what the worker sends starts with a TLS handshake record");
  for (const [direction, bytes] of [["to the engine", up], ["from the engine", down]] as const) {
    assert.equal(bytes.includes(SECRET), false, `the secret is on the wire ${direction}`);
    assert.equal(bytes.includes(cluster.workerToken), false, `the worker's token is on the wire ${direction}`);
    assert.equal(bytes.includes("HTTP/1.1"), false, `plain HTTP on the wire ${direction}`);
  }
  await stopAll(cluster, [far]);
});

test("the control: over plain http with --allow-insecure, the same recording shows the secret and the token", { skip }, async (t) => {
  const { cluster, proxy } = await clusterBehindProxy(t, false);
  const far = cluster.worker("far", ["--labels", "far"], { engine: `http://${cluster.network.rootAddress}:${proxy.port}`, allowInsecure: true });
  await connected(cluster, "far", far);
  const run = await runToEnd(cluster, "deploy");
  assert.equal(run.state, "succeeded", `${JSON.stringify(run.tasks)}\n${cluster.stderrOf(far)}`);
  assert.equal(proxy.fromEngine().includes(SECRET), true, "the launch carried the secret in clear");
  assert.equal(proxy.toEngine().includes(cluster.workerToken), true, "the worker's requests carried its token in clear");
  await stopAll(cluster, [far]);
});

test("the engine sends no secret to a worker whose requests come in clear from another machine unless it said --allow-insecure", { skip }, async (t) => {
  const cluster = await startCluster(t, ["far"], DEFINITIONS, [], { engineEnv: { MY_SECRET: SECRET } });
  // An unencrypted port forward on the worker's machine: to the worker the engine is on loopback, so it asks for no --allow-insecure,
  // while its requests cross the network in clear.
  const engineAddress = cluster.network.hosts.get("engine")!.address;
  const forward = cluster.network.spawn("far", [process.execPath, "-e", forwarderScript("127.0.0.1", ENGINE_PORT, engineAddress, ENGINE_PORT)], { env: { ...process.env }, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    forward.stdout!.once("data", () => resolve());
    forward.once("exit", (code) => reject(new Error(`the port forward exited (${code})`)));
  });
  const far = cluster.worker("far", ["--labels", "far"], { engine: `http://127.0.0.1:${ENGINE_PORT}`, allowInsecure: false });
  await connected(cluster, "far", far);

  const refused = await runToEnd(cluster, "deploy");
  assert.equal(refused.state, "failed");
  const task = refused.tasks[0]!;
  assert.equal(task.state, "failed");
  assert.match(task.reason ?? "", /not sent to worker far: the task has secrets, and the worker is connected over plain http from \S+/);
  assert.match(task.reason ?? "", /--tls-cert FILE --tls-key FILE/);
  assert.match(task.reason ?? "", /--allow-insecure/);
  assert.doesNotMatch(task.reason ?? "", new RegExp(SECRET));

  const plain = await runToEnd(cluster, "plain");
  assert.equal(plain.state, "succeeded", `a task without secrets still runs there: ${JSON.stringify(plain.tasks)}`);
  assert.equal(plain.tasks[0]!.worker, "far");
  await stopAll(cluster, [far, forward]);
});

/** A node program that forwards host:port to targetHost:targetPort, and prints a line once it listens. */
function forwarderScript(host: string, port: number, targetHost: string, targetPort: number): string {
  return `
const net = require("node:net");
net.createServer((client) => {
  const upstream = net.connect(${targetPort}, ${JSON.stringify(targetHost)});
  client.pipe(upstream); upstream.pipe(client);
  const end = () => { client.destroy(); upstream.destroy(); };
  client.on("error", end).on("close", end); upstream.on("error", end).on("close", end);
}).listen(${port}, ${JSON.stringify(host)}, () => console.log("listening"));
`;
}
