/**
 * The multi-machine harness (netns.ts): hosts reach each other over a real
 * network at their addresses, never at their loopbacks; a cut host is
 * unreachable while its processes run on, and reachable again once restored;
 * closing (or a later run, after a killed one) leaves nothing behind.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync, readlinkSync, statSync } from "node:fs";
import { connect } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { checkNoLeftoverProcesses } from "./leaks.js";
import { alive, until } from "./poll.js";
import { createNetwork, skipWithoutNetem, skipWithoutNetns, type Network } from "./netns.js";

checkNoLeftoverProcesses();

const NETNS_MODULE = fileURLToPath(new URL("./netns.js", import.meta.url));

/**
 * A process standing for a machine's programs, driven by JSON lines on stdin
 * (one node per host rather than one per connection: node takes ~150 ms to
 * start here). {"listen": address} starts a server that greets and hangs up,
 * answering {"port"}; {"connect": address, "port", "timeoutMs"} makes one
 * attempt, answering {"result": "connected <greeting>" | "failed <code>" | "timeout"}.
 */
const AGENT = `
const net = require("node:net");
const reply = (value) => console.log(JSON.stringify(value));
function listen(address) {
  const server = net.createServer((socket) => {
    socket.on("error", () => {}); // a client that gave up (reset): not the agent's end
    socket.end("hello from " + address);
  });
  server.on("error", (error) => reply({ error: error.code }));
  server.listen(0, address, () => reply({ port: server.address().port }));
}
function connect(address, port, timeoutMs) {
  const socket = net.connect(port, address);
  let greeting = "";
  let answered = false;
  const answer = (result) => {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    socket.destroy();
    reply({ result });
  };
  const timer = setTimeout(() => answer("timeout"), timeoutMs);
  socket.setEncoding("utf8");
  socket.on("data", (chunk) => (greeting += chunk));
  socket.on("end", () => answer("connected " + greeting));
  socket.on("error", (error) => answer("failed " + error.code));
}
require("node:readline").createInterface({ input: process.stdin }).on("line", (line) => {
  const command = JSON.parse(line);
  if ("listen" in command) listen(command.listen);
  else connect(command.connect, command.port, command.timeoutMs);
});
`;

class Agent {
  private readonly replies: AsyncIterator<string>;
  private stderr = "";

  constructor(readonly child: ChildProcess) {
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
    this.replies = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  }

  /** One command, one answer: callers await each before the next, so answers come in order. */
  private async ask(command: object): Promise<{ port?: number; result?: string; error?: string }> {
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    const next = await this.replies.next();
    if (next.done) throw new Error(`the agent ended: ${this.stderr}`);
    return JSON.parse(next.value) as { port?: number; result?: string; error?: string };
  }

  async listen(address: string): Promise<number> {
    const { port, error } = await this.ask({ listen: address });
    if (port === undefined) throw new Error(`cannot listen on ${address}: ${error}`);
    return port;
  }

  async connect(address: string, port: number, timeoutMs = 2000): Promise<string> {
    return (await this.ask({ connect: address, port, timeoutMs })).result ?? "";
  }

  /** For the moment a link comes back: tries (each attempt bounded) until one connects, for up to `withinMs`. */
  async connectsWithin(address: string, port: number, withinMs: number): Promise<string> {
    const deadline = Date.now() + withinMs;
    let result = await this.connect(address, port, 500);
    while (!result.startsWith("connected") && Date.now() < deadline) result = await this.connect(address, port, 500);
    return result;
  }
}

function startAgent(network: Network, host: string): Agent {
  return new Agent(network.spawn(host, [process.execPath, "-e", AGENT], { stdio: ["pipe", "pipe", "pipe"] }));
}

/** The first line a child prints (or a failure with its stderr when it ends first). */
async function firstLine(child: ChildProcess): Promise<string> {
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout! });
  const ended = once(child, "exit").then(([code]) => {
    throw new Error(`the process ended (${String(code)}) before printing: ${stderr}`);
  });
  const [line] = (await Promise.race([once(lines, "line"), ended])) as [string];
  lines.close();
  return line;
}

/** kill -9, and wait for it to be gone. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8" });
}

/** The interface's index, or undefined when there is none of that name (an index is not reused soon, a name may be: by another network claiming the freed subnet). */
function interfaceIndex(name: string): string | undefined {
  try {
    return readFileSync(`/sys/class/net/${name}/ifindex`, "utf8").trim();
  } catch {
    return undefined;
  }
}

function namespaceNames(): string[] {
  return ip("netns", "list")
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter(Boolean);
}

describe("a network of namespaces", { skip: skipWithoutNetns() }, () => {
  let network: Network;
  before(async () => {
    network = await createNetwork(["alpha", "beta"]);
  });
  after(() => network?.close());

  const hostOf = (name: string) => network.hosts.get(name)!;

  it("gives each host its namespace and an address in the network's /24, and a spawned child is the command itself, inside it", async () => {
    const [alpha, beta] = [hostOf("alpha"), hostOf("beta")];
    assert.notEqual(alpha.namespace, beta.namespace);
    assert.notEqual(alpha.address, beta.address);
    const base = network.subnet.replace(/\.0\/24$/, ".");
    assert.ok(alpha.address.startsWith(base) && beta.address.startsWith(base) && network.rootAddress.startsWith(base), network.subnet);

    // `ip netns exec` execs the command: no process stands between the test and it, so kill -9 reaches the command.
    const child = network.spawn("alpha", ["sh", "-c", 'echo $$ "$(readlink /proc/$$/ns/net)"'], { stdio: ["ignore", "pipe", "pipe"] });
    const [pid, namespaceLink] = (await firstLine(child)).split(" ");
    await once(child, "close");
    assert.equal(Number(pid), child.pid);
    assert.equal(namespaceLink, `net:[${statSync(`/var/run/netns/${alpha.namespace}`).ino}]`);
    assert.notEqual(namespaceLink, readlinkSync("/proc/self/ns/net"), "not the test runner's namespace");
  });

  it("lets hosts reach each other over TCP at their addresses", async () => {
    const [alpha, beta] = [startAgent(network, "alpha"), startAgent(network, "beta")];
    try {
      const [alphaPort, betaPort] = [await alpha.listen(hostOf("alpha").address), await beta.listen(hostOf("beta").address)];
      assert.equal(await alpha.connect(hostOf("beta").address, betaPort), `connected hello from ${hostOf("beta").address}`);
      assert.equal(await beta.connect(hostOf("alpha").address, alphaPort), `connected hello from ${hostOf("alpha").address}`);
    } finally {
      await kill(alpha.child);
      await kill(beta.child);
    }
  });

  it("keeps a server on 127.0.0.1 private to its host", async () => {
    const [alpha, beta] = [startAgent(network, "alpha"), startAgent(network, "beta")];
    try {
      const port = await alpha.listen("127.0.0.1");
      assert.equal(await alpha.connect("127.0.0.1", port), "connected hello from 127.0.0.1", "alpha itself reaches it");
      assert.equal(await beta.connect("127.0.0.1", port), "failed ECONNREFUSED", "beta's loopback is its own");
      assert.equal(await beta.connect(hostOf("alpha").address, port), "failed ECONNREFUSED", "nothing listens on alpha's address");
    } finally {
      await kill(alpha.child);
      await kill(beta.child);
    }
  });

  it("lets the test runner, in the root namespace, reach a host", async () => {
    const address = hostOf("beta").address;
    const beta = startAgent(network, "beta");
    try {
      const socket = connect(await beta.listen(address), address);
      socket.setEncoding("utf8");
      let greeting = "";
      socket.on("data", (chunk: string) => (greeting += chunk));
      await once(socket, "end");
      assert.equal(greeting, `hello from ${address}`);
      assert.equal(socket.localAddress, network.rootAddress);
      socket.destroy();
    } finally {
      await kill(beta.child);
    }
  });

  it("cuts a host off the network, its processes running on, and restores it", async () => {
    const address = hostOf("beta").address;
    const [alpha, beta] = [startAgent(network, "alpha"), startAgent(network, "beta")];
    try {
      const port = await beta.listen(address);
      assert.match(await alpha.connect(address, port), /^connected/);
      await network.cut("beta");
      assert.equal(await alpha.connect(address, port, 500), "timeout", "packets to a cut host are lost, as on a pulled cable");
      assert.ok(alive(beta.child.pid!), "beta's process runs on");
      assert.match(await beta.connect(address, port), /^connected/, "and beta still reaches itself");
      await network.restore("beta");
      assert.match(await alpha.connectsWithin(address, port, 5000), /^connected/);
    } finally {
      await network.restore("beta");
      await kill(alpha.child);
      await kill(beta.child);
    }
  });

  it("delays what a host sends", { skip: skipWithoutNetem() }, async () => {
    const address = hostOf("beta").address;
    const [alpha, beta] = [startAgent(network, "alpha"), startAgent(network, "beta")];
    try {
      const port = await beta.listen(address);
      await network.delay("alpha", 300);
      const started = Date.now();
      assert.match(await alpha.connect(address, port, 5000), /^connected/);
      assert.ok(Date.now() - started >= 300, "the SYN waited");
    } finally {
      await network.delay("alpha", 0);
      await kill(alpha.child);
      await kill(beta.child);
    }
  });

  it("closes: what runs inside is killed, no namespace or link is left, and closing again is harmless", async () => {
    const other = await createNetwork(["one", "two"]);
    // A child, and a grandchild the network never saw (found by its namespace).
    const child = other.spawn("one", ["sh", "-c", "sleep 60 & echo $!; wait"], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = once(child, "exit");
    const grandchild = Number(await firstLine(child));
    const names = [other.namespace, ...[...other.hosts.values()].map((host) => host.namespace)];
    assert.ok(names.every((name) => namespaceNames().includes(name)));
    const rootIndex = interfaceIndex(other.rootInterface);
    assert.ok(rootIndex, `${other.rootInterface} is in the root namespace`);

    await other.close();
    assert.deepEqual(await exited, [null, "SIGKILL"]);
    await until(() => !alive(grandchild), "the grandchild to be gone", 1000); // an orphan now, reaped by init (a zombie counts as gone)
    assert.deepEqual(namespaceNames().filter((name) => names.includes(name)), [], "ip netns list");
    assert.notEqual(interfaceIndex(other.rootInterface), rootIndex, "ip link");
    const links = ip("-o", "link", "show");
    for (const name of names) assert.ok(!links.includes(name), `no link refers to ${name}`);
    await other.close();
    assert.throws(() => other.spawn("one", ["true"]), /is closed/);
  });

  it("removes what a run killed half way left behind: its namespaces, links and processes", async () => {
    // A real killed run: a process that makes a network, starts a process in it and dies by kill -9, closing nothing.
    const script = `
      import { readFileSync } from "node:fs";
      import { createNetwork } from ${JSON.stringify(NETNS_MODULE)};
      const network = await createNetwork(["left"]);
      const child = network.spawn("left", ["sh", "-c", "echo up; exec sleep 60"], { stdio: ["ignore", "pipe", "inherit"] });
      child.stdout.once("data", () => console.log(JSON.stringify({ namespaces: [network.namespace, network.hosts.get("left").namespace], rootInterface: network.rootInterface, rootIndex: readFileSync("/sys/class/net/" + network.rootInterface + "/ifindex", "utf8").trim(), orphan: child.pid })));
    `;
    const run = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    const left = JSON.parse(await firstLine(run)) as { namespaces: string[]; rootInterface: string; rootIndex: string; orphan: number };
    // Checked while it lives: once it is dead, a concurrent test file's sweep may remove them at any moment.
    assert.ok(left.namespaces.every((name) => namespaceNames().includes(name)), "the run's namespaces are there");
    await kill(run);

    const next = await createNetwork(["fresh"]);
    try {
      // A concurrent test file's sweep may have been first, and the kernel dismantles namespaces in the background: poll briefly.
      await until(() => !alive(left.orphan), "the dead run's process to be killed", 3000);
      assert.deepEqual(namespaceNames().filter((name) => left.namespaces.includes(name)), []);
      await until(() => interfaceIndex(left.rootInterface) !== left.rootIndex, `${left.rootInterface} to go`, 3000);
    } finally {
      await next.close();
    }
  });
});
