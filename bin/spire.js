#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072:${GLIBC_TUNABLES} node --v8-pool-size=1
// The `spire` command. The CLI is compiled and bundled to dist/bundle by `npm run build` (run by `npm install`).
//
// --v8-pool-size=1: one V8 worker thread instead of one per core. Each worker
// keeps a malloc arena for the life of the process; an idle engine kept ~8 MB
// of them (bench/api). Compiling and collecting still happen off the main
// thread (--no-concurrent-recompilation saved as much but put optimising
// compiles on the main thread: trigger-to-spawn p99 +5 ms). V8 reads the flag
// only at start, hence the shebang (`env -S`: coreutils 8.30+, macOS). Run as
// `node bin/spire.js`, it is off.
//
// GLIBC_TUNABLES (before the user's own, if any): glibc's malloc hands a block
// of 128 KB or more to mmap, given back to the system when freed, but raises
// that threshold to the largest such block freed so far. Node frees large
// ones early (a module's source as read, TurboFan's zones: ~700 KB), and then
// every block below that is carved from a heap that returns memory only from
// its top: an idle engine kept 3–7 MB of freed, fragmented heap. Fixed at
// 128 KB, large blocks always come and go whole. glibc reads it only at start,
// hence the shebang (without glibc it means nothing); the service units carry
// it too (src/service/engine-command.ts reads it from this line).

import { setFlagsFromString } from "node:v8";

// The tunable is for this process: what it starts (the supervisor, tasks) gets the user's GLIBC_TUNABLES back.
const MALLOC_TUNABLE = "glibc.malloc.mmap_threshold=131072";
const tunables = process.env.GLIBC_TUNABLES;
if (tunables !== undefined && tunables.startsWith(MALLOC_TUNABLE)) {
  const users = tunables.slice(MALLOC_TUNABLE.length).replace(/^:/, "");
  if (users === "") delete process.env.GLIBC_TUNABLES;
  else process.env.GLIBC_TUNABLES = users;
}

// The engine idles most of its life, so its memory at rest counts more than
// the last percent of throughput. V8 grows the young generation from 1 MB up
// to 16 MB per semi-space while allocation is busy (loading the engine, an
// apply) and gives it back only after a long idle: ~25 MB of RSS (bench/api).
// `--max-semi-space-size` would cap it, but only on node's command line;
// re-executing node for it would keep a second node process (42 MB RSS, 9 MB
// of its own) between the user's signals and the engine. The growth factor is
// read whenever V8 considers growing, so, set before the engine's modules
// load, it keeps the semi-spaces at 1 MB for the life of the process: more,
// smaller scavenges.
//
// Those scavenges are one every ~100 requests under a poller's GETs (node's
// HTTP work leaves ~8 KB of garbage per request), and each one V8 splits
// between the main thread and its one worker (--v8-pool-size=1): with ~2 KB
// surviving a 1 MB scavenge there is nothing to share, and handing over to
// the worker and waiting for it costs more than the copying. Read at each
// scavenge, so it can be set here.
const command = commandName(process.argv.slice(2));
if (command === "engine") setFlagsFromString("--semi-space-growth-factor=1 --no-parallel-scavenge");

// The other commands live for seconds, where TurboFan's optimising compiles
// do not pay back: in a `spire run` of bench/dag's 1,000 tasks V8's compiler
// thread took 0.30 s of CPU (perf sched) beside the engine thread's 0.92 s,
// on a machine whose two cores were the bound. V8 optimises a function once
// it has run this much bytecode (default 66 KB): four times as much keeps
// the optimising for code that stays hot. Read as each function is first
// compiled, so set before the command's modules load; the code cache
// (cached-cli.js) is made with the same flags.
else setFlagsFromString("--interrupt-budget=" + 4 * 66 * 1024);

// A completion script asks `spire __complete …` at each Tab press: it goes
// straight to its module, without loading the whole command line program.
// The other commands start from V8's cache of their compiled code when the
// build made one for this Node (cached-cli.js), but for the long-lived
// servers: they load the ES module bundle, whose chunks hold only the code
// they use, and they start rarely (their memory at rest counts, bench/api).
const LONG_LIVED = ["engine", "worker", "mcp"];
const entry =
  command === "__complete"
    ? import("../dist/bundle/completion.js").then((values) => ({ main: (argv) => values.completionValuesFromArgs(argv.slice(2)) }))
    : (LONG_LIVED.includes(command) ? Promise.resolve(undefined) : cachedCli()).then((cli) => cli ?? import("../dist/bundle/main.js"));

entry.then(
  (cli) => cli.main(process.argv),
  (error) => {
    if (error && error.code === "ERR_MODULE_NOT_FOUND") {
      console.error("spire is not built yet: run `npm install` (or `npm run build`) in " + new URL("..", import.meta.url).pathname);
      process.exit(2);
    }
    throw error;
  },
);

/**
 * The command through the code cache, or undefined (no cache for this Node, no bundle for it). The build's
 * training run sets SPIRE_CODE_CACHE_OUT: compiled without a cache, it writes one there as it exits.
 */
async function cachedCli() {
  const { loadCachedCli } = await import("./cached-cli.js");
  const writeCacheTo = process.env.SPIRE_CODE_CACHE_OUT;
  delete process.env.SPIRE_CODE_CACHE_OUT;
  return loadCachedCli(writeCacheTo ? { writeCacheTo } : {});
}

/** The first word that is not an option or the value of a global option (`spire --data DIR engine`). */
function commandName(args) {
  return args.find((arg, index) => !arg.startsWith("-") && !["--data", "--engine"].includes(args[index - 1]));
}
