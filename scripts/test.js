#!/usr/bin/env node
// Runs every compiled test file with Node's own test runner.
// Node 20 takes no globs after --test, so the files are listed here.
import { readdirSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function collect(dir) {
  const found = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...collect(path));
    else if (entry.endsWith(".test.js")) found.push(path);
  }
  return found;
}

// Folders whose files start engines, browsers and clusters go first: files start in this order, three at a
// time, so a long one started last would run on alone while the cores idle.
const LONG_FIRST = ["cluster/", "workers/", "ui/", "docs/", "cli/", "compat/", "engine/", "examples/"];
const rank = (file) => {
  const index = LONG_FIRST.findIndex((folder) => file.startsWith(join("dist/test", folder)));
  return index < 0 ? LONG_FIRST.length : index;
};

const filter = process.argv.slice(2);
const files = collect("dist/test")
  .filter((file) => filter.length === 0 || filter.some((part) => file.includes(part)))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
if (files.length === 0) {
  console.error("no test files matched", filter.join(" "));
  process.exit(2);
}
// The spec reporter says what passed and failed; the second one ends a whole run with its slowest files.
const reporters = ["--test-reporter=spec", "--test-reporter-destination=stdout"];
if (filter.length === 0) reporters.push("--test-reporter=./scripts/slowest-files.js", "--test-reporter-destination=stdout");
// A test still going after three minutes is stuck (the longest, the chaos scenarios, take under one): it fails then,
// instead of holding the whole run until CI gives up on it.
// Every process the tests start carries this run's marker (as each file's own, test/helpers/leaks.ts): whatever a
// test left behind that its file's checks did not catch (a test that timed out before its clean-up) is found here.
const marker = `SPIRE_TEST_RUN=${randomBytes(6).toString("hex")}`;
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=3", "--test-timeout=180000", ...reporters, ...files], {
  stdio: "inherit",
  env: { ...process.env, SPIRE_TEST_RUN: marker.slice(marker.indexOf("=") + 1) },
});
const left = await leftBehind(marker);
if (left.length > 0) {
  console.error(`processes left behind by the tests, killed now:\n${left.map(({ pid, cmdline }) => `  ${pid} ${cmdline}`).join("\n")}`);
  for (const { pid } of left) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
}
process.exit(left.length > 0 ? 1 : (result.status ?? 1));

/** Processes still running with `marker` in their environment, after up to 3 s for those on their way out. */
async function leftBehind(marker) {
  // The tests' own scan (test/helpers/marked-processes.ts), as compiled beside the test files.
  const { markedProcesses } = await import(new URL("../dist/test/helpers/marked-processes.js", import.meta.url).href);
  const deadline = Date.now() + 3000;
  for (;;) {
    const found = markedProcesses(marker);
    if (found.length === 0 || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
