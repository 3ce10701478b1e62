/**
 * Several machines on one real network, for tests of the engine and its
 * workers: each host is a Linux network namespace with its own loopback and
 * one Ethernet link, so traffic between hosts really crosses interfaces, a
 * host's link can be cut and restored, and a server bound to 127.0.0.1 stays
 * private to its host. Needs root and iproute2 (`skipWithoutNetns()` says why
 * not, for a test's `skip` option).
 *
 *   root namespace (test runner)         switch namespace `spire-<pid>-<n>`
 *     spire<idx> 10.a.b.1 ───veth─── uplink ─┐
 *                                            br0 ─┬─ h0 ───veth─── eth0 10.a.b.2   host `spire-<pid>-<n>-<name>`
 *                                                 └─ h1 ───veth─── eth0 10.a.b.3   host ...
 *
 * Why the bridge lives in a namespace of its own rather than in the root one:
 * - Everything the harness makes is then a namespace. A veth pair dies with
 *   either end, so deleting the switch namespace takes every link with it,
 *   including the one end in the root namespace, even when a process left
 *   behind keeps a host namespace alive: the root namespace's `ip link` is
 *   never littered.
 * - Netfilter hooks are per namespace: a root firewall that drops bridged or
 *   forwarded traffic (Docker sets FORWARD to DROP and loads br_netfilter)
 *   never sees the traffic between hosts.
 * - Interface names are per namespace, so inside them plain names do (br0,
 *   h0, eth0) and only one name in the root namespace must be unique.
 *
 * That one root-side link gives the test runner an address on the network
 * (10.a.b.1, `rootAddress`): a test talks to an engine running in a host
 * directly, and hosts reach a server the test runs itself if it listens on
 * that address (or 0.0.0.0). Hosts have no default route: nothing beyond the
 * network is reachable from them.
 *
 * Names and subnets, with test files running in parallel: namespace names
 * carry the creating process's pid and a counter, unique among live
 * processes, and the pid tells a later run whether their owner is gone. A
 * subnet cannot be derived from a pid (pids go up to 4 M, 10.128.0.0/9 holds
 * 32,768 /24s), so it is claimed: the root-side link is named `spire<idx>`
 * after its subnet's index, and the kernel refuses a second link of one name,
 * which makes creating it an atomic claim. The kernel also releases the claim
 * by itself when the switch namespace goes, so there is no lock file to go
 * stale.
 *
 * Child processes: `spawn` runs `ip netns exec NS argv...`, which enters the
 * namespace and execs the command, so the ChildProcess's pid is the command
 * itself (kill -9 reaches it; netns.test.ts checks). It also gives the
 * command a private mount namespace with /sys remounted for its network
 * namespace; the file system is otherwise the machine's. When options.env
 * is given it replaces the environment: spread process.env into it, which
 * carries SPIRE_TEST_SESSION, or leaks.ts cannot see leftover processes.
 *
 * Use:
 *
 *   describe("workers", { skip: skipWithoutNetns() }, () => {
 *     let network: Network;
 *     before(async () => (network = await createNetwork(["engine", "worker1", "worker2"])));
 *     after(() => network?.close());
 *     ...network.spawn("worker1", [process.execPath, SPIRE_BIN, "worker", ...], { env: { ...process.env, ... } })
 *   });
 */
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { alive, until } from "./poll.js";

export interface Host {
  name: string;
  /** Its namespace, for `ip netns exec` / `ip -n` by hand. */
  namespace: string;
  /** Its address on the network (10.a.b.2 and up); a server must listen here, not on 127.0.0.1, to be reached from other hosts. */
  address: string;
}

export interface Network {
  hosts: ReadonlyMap<string, Host>;
  /** The network's /24, e.g. "10.131.4.0/24". */
  subnet: string;
  /** The test runner's own address on the network (the root namespace reaches every host through it). */
  rootAddress: string;
  /** The one interface the network has in the root namespace (named after its subnet). */
  rootInterface: string;
  /** The switch's namespace (holds the bridge). */
  namespace: string;
  /**
   * Runs argv inside the host's namespace; the child's pid is the command's.
   * Options as child_process.spawn's. An options.env replaces the
   * environment: spread process.env into it (it carries SPIRE_TEST_SESSION).
   * A command that cannot be executed makes `ip` exit 255 with a message on
   * stderr, rather than an 'error' event.
   */
  spawn(host: string, argv: string[], options?: SpawnOptions): ChildProcess;
  /** Pulls the host's cable at the switch: nothing reaches it or leaves it, its processes and its own configuration are untouched. */
  cut(host: string): Promise<void>;
  /** Plugs the cable back in. */
  restore(host: string): Promise<void>;
  /** Delays every packet the host sends by `ms` (0 removes the delay); needs the netem qdisc (`skipWithoutNetem()`). */
  delay(host: string, ms: number): Promise<void>;
  /** Kills every process still inside the network's namespaces, then deletes them (and with them every link). Idempotent. */
  close(): Promise<void>;
}

const NAME_PREFIX = "spire-";
const ROOT_LINK_PREFIX = "spire";
const NETNS_DIR = "/var/run/netns"; // where `ip netns` keeps its names
const SUBNET_COUNT = 32_768; // the /24s of 10.128.0.0/9
const MAX_HOSTS = 253; // .2 to .254 (.1 is the root namespace's)

/** Runs iproute2's `ip` or `tc` (with `input` on stdin, for -batch); a failure says which command and what it printed. */
function run(command: "ip" | "tc", args: string[], input = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) reject(commandError(command, args, input, stderr || error.message));
      else resolve(stdout);
    });
    // A command that fails before reading its input closes its stdin: the exit status above says so, not EPIPE here.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input);
  });
}

function runSync(command: "ip" | "tc", args: string[], input = ""): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", input, stdio: "pipe" });
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw commandError(command, args, input, stderr || message);
  }
}

function commandError(command: string, args: string[], input: string, output: string): Error {
  const lines = input ? ` <<< ${JSON.stringify(input.trim())}` : "";
  return new Error(`${command} ${args.join(" ")}${lines}: ${output.trim()}`);
}

/**
 * Several `ip` commands in one process (`ip -batch`, stopping at the first
 * that fails), inside `namespace` when given: an `ip` takes ~20 ms to start,
 * and a network takes some thirty commands.
 */
function ipBatch(namespace: string | undefined, commands: string[]): Promise<string> {
  return run("ip", [...(namespace ? ["-n", namespace] : []), "-batch", "-"], `${commands.join("\n")}\n`);
}

// ---------------------------------------------------------------------------
// Can this machine do it?

interface Capabilities {
  netns: string | false;
  netem: string | false;
}

let capabilities: Capabilities | undefined;

/** False when namespaces, bridges and veths can be made here; otherwise why not (for a test's `skip` option, which prints it). */
export function skipWithoutNetns(): string | false {
  capabilities ??= probe();
  return capabilities.netns;
}

/** False when `delay` works here; otherwise why not. */
export function skipWithoutNetem(): string | false {
  capabilities ??= probe();
  return capabilities.netns || capabilities.netem;
}

/** Tries the real thing in a throwaway namespace: being uid 0 is not enough in a container without CAP_NET_ADMIN/CAP_SYS_ADMIN. */
function probe(): Capabilities {
  if (process.platform !== "linux") return { netns: `network namespaces are Linux only (this is ${process.platform})`, netem: false };
  if (process.getuid?.() !== 0) return { netns: "needs root to create network namespaces (ip netns add)", netem: false };
  const namespace = `${NAME_PREFIX}${process.pid}-probe`;
  try {
    runSync("ip", ["netns", "add", namespace]);
    runSync("ip", ["-n", namespace, "-batch", "-"], "link add br0 type bridge\nlink add v0 type veth peer name v1\n");
  } catch (error) {
    deleteNamespaceSync(namespace);
    const message = (error as Error).message;
    if (/ENOENT/.test(message)) return { netns: "iproute2's `ip` is not installed (apt-get install iproute2)", netem: false };
    return { netns: `cannot make network namespaces, bridges and veths here: ${message}`, netem: false };
  }
  const netem = probeNetem(namespace);
  deleteNamespaceSync(namespace);
  return { netns: false, netem };
}

/**
 * Whether `tc ... netem` works. On a kernel built without CONFIG_NET_SCH_NETEM
 * (as on the VM this harness was written on) tc says "Specified qdisc kind is
 * unknown": only `delay` is then unavailable.
 */
function probeNetem(namespace: string): string | false {
  try {
    runSync("tc", ["-n", namespace, "qdisc", "add", "dev", "v0", "root", "netem", "delay", "1ms"]);
    return false;
  } catch (error) {
    const message = (error as Error).message;
    if (/ENOENT/.test(message)) return "tc (iproute2) is not installed, so no netem delay";
    return `the netem qdisc is not available on this kernel (CONFIG_NET_SCH_NETEM), so no delay: ${message}`;
  }
}

// ---------------------------------------------------------------------------
// Namespaces this harness made, and what a killed run left behind.

/** Names this process made (or is making): a name with our own pid that is not here belongs to an earlier process that had our pid. */
const madeHere = new Set<string>();

function ownerOf(namespace: string): number | undefined {
  const match = /^spire-(\d+)-/.exec(namespace);
  return match ? Number(match[1]) : undefined;
}

function isStale(namespace: string): boolean {
  const owner = ownerOf(namespace);
  if (owner === undefined || madeHere.has(namespace)) return false;
  return owner === process.pid || !alive(owner);
}

function listNamespaces(): string[] {
  try {
    return readdirSync(NETNS_DIR);
  } catch {
    return []; // no namespace was ever named on this machine
  }
}

/** Pids of the processes inside a named namespace (what `ip netns pids` prints, without a process to run it). */
function pidsIn(namespace: string): number[] {
  let inode: number;
  try {
    inode = statSync(`${NETNS_DIR}/${namespace}`).ino;
  } catch {
    return [];
  }
  const link = `net:[${inode}]`;
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      if (readlinkSync(`/proc/${pid}/ns/net`) === link) pids.push(pid);
    } catch {
      // gone, or a zombie (whose namespaces are already released)
    }
  }
  return pids;
}

function killEverythingIn(namespace: string): number[] {
  const pids = pidsIn(namespace);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

function deleteNamespaceSync(namespace: string): void {
  try {
    runSync("ip", ["netns", "delete", namespace]);
  } catch {
    // already gone (another run's sweep may have been first)
  }
}

async function deleteNamespace(namespace: string): Promise<void> {
  try {
    await run("ip", ["netns", "delete", namespace]);
  } catch (error) {
    if (existsSync(`${NETNS_DIR}/${namespace}`)) throw error;
  }
}

/**
 * Deletes the namespaces of runs that were killed before they could close
 * their networks, and kills what still ran inside them. Their links go with
 * them (see the top of this file). Several sweeps may run at once: each
 * tolerates the others having been first.
 */
async function removeStaleNamespaces(): Promise<void> {
  const stale = listNamespaces().filter(isStale);
  const killed = stale.flatMap(killEverythingIn);
  await until(() => !killed.some(alive), "the processes of a stale network to end", 5000);
  await Promise.all(stale.map(deleteNamespace));
}

// ---------------------------------------------------------------------------
// Closing on the way out, when a test did not.

const openNetworks = new Set<NamespaceNetwork>();
let exitHooksInstalled = false;

/**
 * On exit (and on the signals that end a test run early) close what is open,
 * synchronously since nothing asynchronous runs then. SIGKILL leaves it to
 * the next run's sweep.
 */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on("exit", closeAllNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      closeAllNow();
      // Listening replaced the default action (ending the process): unless someone else handles the signal, re-raise it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

function closeAllNow(): void {
  for (const network of openNetworks) network.closeNow();
}

// ---------------------------------------------------------------------------
// Addresses

interface Subnet {
  index: number;
  /** The first three octets, e.g. "10.131.4". */
  base: string;
}

function subnetAt(index: number): Subnet {
  return { index, base: `10.${128 + (index >> 8)}.${index & 255}` };
}

function toNumber(address: string): number {
  return address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

/** Whether two IPv4 prefixes ("a.b.c.d/len" or a bare address) share an address. */
function overlaps(one: string, other: string): boolean {
  const [addressA = "", lengthA = "32"] = one.split("/");
  const [addressB = "", lengthB = "32"] = other.split("/");
  const shorter = Math.min(Number(lengthA), Number(lengthB));
  const size = 2 ** (32 - shorter);
  return Math.floor(toNumber(addressA) / size) === Math.floor(toNumber(addressB) / size);
}

/** The root namespace's IPv4 destinations (not the default route): a subnet on one of them would shadow or be shadowed by the machine's own network. */
async function routedPrefixes(): Promise<string[]> {
  const routes = JSON.parse(await run("ip", ["-j", "-4", "route", "show", "table", "all"])) as { dst?: string }[];
  return routes.map((route) => route.dst ?? "default").filter((destination) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(destination));
}

/**
 * Claims a free /24 by creating the root-side veth named after it, its peer
 * (`uplink`) in the switch namespace. The search starts at a place derived
 * from the pid and counter so that concurrent runs rarely race for one index;
 * when they do, the loser's `ip link add` fails with "File exists" and it
 * moves on.
 */
async function claimSubnet(switchNamespace: string, counter: number): Promise<Subnet> {
  const taken = await routedPrefixes();
  const start = (process.pid % 128) * 256 + (counter % 256);
  for (let step = 0; step < SUBNET_COUNT; step++) {
    const subnet = subnetAt((start + step) % SUBNET_COUNT);
    if (taken.some((prefix) => overlaps(prefix, `${subnet.base}.0/24`))) continue;
    try {
      await run("ip", ["link", "add", rootLinkName(subnet), "type", "veth", "peer", "name", "uplink", "netns", switchNamespace]);
      return subnet;
    } catch (error) {
      if (/File exists/.test((error as Error).message)) continue;
      throw error;
    }
  }
  throw new Error("no free /24 left in 10.128.0.0/9 for a test network");
}

/** A root-namespace interface's index (undefined when there is none of that name): indexes are not reused soon, names are. */
function interfaceIndex(name: string): string | undefined {
  try {
    return readFileSync(`/sys/class/net/${name}/ifindex`, "utf8").trim();
  } catch {
    return undefined;
  }
}

function rootLinkName(subnet: Subnet): string {
  return `${ROOT_LINK_PREFIX}${subnet.index}`; // at most "spire32767", within the 15 characters of an interface name
}

// ---------------------------------------------------------------------------
// The network

let networkCounter = 0;

/** Makes a network of hosts with these names (letters, digits and dashes); close it when done. */
export async function createNetwork(hostNames: string[]): Promise<Network> {
  const reason = skipWithoutNetns();
  if (reason) throw new Error(reason);
  checkHostNames(hostNames);
  installExitHooks();
  await removeStaleNamespaces();
  const counter = networkCounter++;
  const network = new NamespaceNetwork(`${NAME_PREFIX}${process.pid}-${counter}`);
  openNetworks.add(network);
  try {
    await network.build(hostNames, counter);
  } catch (error) {
    await network.close();
    throw error;
  }
  return network;
}

function checkHostNames(hostNames: string[]): void {
  if (hostNames.length === 0 || hostNames.length > MAX_HOSTS) throw new Error(`a network has 1 to ${MAX_HOSTS} hosts, not ${hostNames.length}`);
  for (const name of hostNames) {
    if (!/^[a-z][a-z0-9-]{0,31}$/i.test(name)) throw new Error(`host name ${JSON.stringify(name)}: letters, digits and dashes, starting with a letter`);
  }
  if (new Set(hostNames).size !== hostNames.length) throw new Error(`host names repeat: ${hostNames.join(", ")}`);
}

class NamespaceNetwork implements Network {
  readonly hosts = new Map<string, Host>();
  subnet = "";
  rootAddress = "";
  rootInterface = "";
  private rootInterfaceIndex: string | undefined;
  /** Each host's cable end at the switch (an interface in the switch namespace). */
  private readonly switchPorts = new Map<string, string>();
  /** Every namespace it makes, known before they exist, so that a build failing half way is undone whole. */
  private namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private closing: Promise<void> | undefined;

  constructor(readonly namespace: string) {}

  /** Namespaces, then the subnet (claimed with the root namespace's link to the switch), then links and addresses. */
  async build(hostNames: string[], counter: number): Promise<void> {
    this.namespaces = [this.namespace, ...hostNames.map((name) => `${this.namespace}-${name}`)];
    for (const namespace of this.namespaces) madeHere.add(namespace); // before they exist, so that no sweep of ours takes them for a dead run's
    await ipBatch(undefined, this.namespaces.map((namespace) => `netns add ${namespace}`));
    const subnet = await claimSubnet(this.namespace, counter);
    this.subnet = `${subnet.base}.0/24`;
    this.rootAddress = `${subnet.base}.1`;
    this.rootInterface = rootLinkName(subnet);
    this.rootInterfaceIndex = interfaceIndex(this.rootInterface);
    hostNames.forEach((name, index) => {
      this.hosts.set(name, { name, namespace: `${this.namespace}-${name}`, address: `${subnet.base}.${index + 2}` });
      this.switchPorts.set(name, `h${index}`);
    });
    await ipBatch(this.namespace, [
      // No STP: a port forwards as soon as it is up, so restore() takes effect at once.
      "link add br0 type bridge stp_state 0 forward_delay 0",
      "link set br0 up",
      "link set uplink master br0 up",
      ...[...this.hosts.values()].flatMap((host) => {
        const port = this.switchPorts.get(host.name)!;
        return [`link add ${port} type veth peer name eth0 netns ${host.namespace}`, `link set ${port} master br0 up`];
      }),
    ]);
    await Promise.all([
      ipBatch(undefined, [`addr add ${this.rootAddress}/24 dev ${this.rootInterface}`, `link set ${this.rootInterface} up`]),
      ...[...this.hosts.values()].map((host) => ipBatch(host.namespace, ["link set lo up", `addr add ${host.address}/24 dev eth0`, "link set eth0 up"])),
    ]);
  }

  private host(name: string): Host {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no host ${JSON.stringify(name)} on this network (it has ${[...this.hosts.keys()].join(", ")})`);
    return host;
  }

  private switchPort(hostName: string): string {
    this.host(hostName); // says which hosts there are when there is no such one
    return this.switchPorts.get(hostName)!;
  }

  private checkOpen(): void {
    if (this.closing) throw new Error(`network ${this.namespace} is closed`);
  }

  spawn(hostName: string, argv: string[], options: SpawnOptions = {}): ChildProcess {
    this.checkOpen();
    if (argv.length === 0) throw new Error("spawn needs a command");
    const child = spawn("ip", ["netns", "exec", this.host(hostName).namespace, ...argv], options);
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    return child;
  }

  async cut(hostName: string): Promise<void> {
    this.checkOpen();
    // At the switch end, not the host's: the host keeps its address and routes, as a machine whose cable is pulled does.
    await run("ip", ["-n", this.namespace, "link", "set", this.switchPort(hostName), "down"]);
  }

  async restore(hostName: string): Promise<void> {
    this.checkOpen();
    await run("ip", ["-n", this.namespace, "link", "set", this.switchPort(hostName), "up"]);
  }

  async delay(hostName: string, ms: number): Promise<void> {
    this.checkOpen();
    const reason = skipWithoutNetem();
    if (reason) throw new Error(reason);
    const device = ["-n", this.host(hostName).namespace, "qdisc"];
    if (ms > 0) await run("tc", [...device, "replace", "dev", "eth0", "root", "netem", "delay", `${ms}ms`]);
    else await run("tc", [...device, "delete", "dev", "eth0", "root"]).catch(() => undefined); // no delay to remove
  }

  close(): Promise<void> {
    this.closing ??= this.tearDown();
    return this.closing;
  }

  private async tearDown(): Promise<void> {
    const namespaces = this.namespaces;
    const killed = this.killEverything();
    await until(() => !killed.some(alive), `the processes in network ${this.namespace} to end`, 5000);
    await Promise.all(namespaces.map(deleteNamespace));
    // The kernel dismantles a namespace in the background: wait until its links are gone from the root namespace.
    // By its index, not its name: another network may claim the freed subnet, and with it the name, at once.
    if (this.rootInterfaceIndex) await until(() => interfaceIndex(this.rootInterface) !== this.rootInterfaceIndex, `${this.rootInterface} to go`, 5000);
    this.forget(namespaces);
  }

  /**
   * Its own children by handle, and whatever else runs inside its namespaces
   * (their children, daemons) by a scan: a child still in `ip netns exec`,
   * not yet inside its namespace, escapes the scan.
   */
  private killEverything(): number[] {
    const children = [...this.children];
    for (const child of children) child.kill("SIGKILL");
    const pids = children.flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
    return [...pids, ...this.namespaces.flatMap(killEverythingIn)];
  }

  /** For the exit hook: the same, synchronously, without waiting for the kernel. */
  closeNow(): void {
    this.closing ??= Promise.resolve();
    const namespaces = this.namespaces;
    this.killEverything();
    namespaces.forEach(deleteNamespaceSync);
    this.forget(namespaces);
  }

  private forget(namespaces: string[]): void {
    openNetworks.delete(this);
    for (const namespace of namespaces) madeHere.delete(namespace);
  }
}
