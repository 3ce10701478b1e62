#!/usr/bin/env node
/**
 * Builds the native spawner (native/spawn.c → native/build/Release/spire_spawn.node)
 * with node-gyp, as better-sqlite3 is built: at `npm install` (the install
 * script) and at every `npm run build` (so `npm ci --ignore-scripts` then a
 * build has it too). Nothing to do when the addon is newer than its sources.
 *
 * Never fails: where it cannot build (not Linux, no C compiler, no node-gyp,
 * no Node headers) it says so in one line and exits 0, and Spire starts
 * tasks with Node's own spawn. Plain JavaScript with no dependencies: it
 * runs before anything is compiled, and from an installed package.
 */
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const addon = join(here, "build", "Release", "spire_spawn.node");
const sources = ["spawn.c", "launch.c", "launch.h", "output.c", "output.h", "folders.c", "folders.h", "memory.c", "memory.h", "call-js.c", "call-js.h", "binding.gyp", "build.js"].map((name) => join(here, name));
const FALLBACK = "tasks will start with Node's spawn (slower; see README, native spawner)";

function say(line) {
  process.stderr.write(`spire: ${line}\n`);
}

function upToDate() {
  if (!existsSync(addon)) return false;
  const built = statSync(addon).mtimeMs;
  return sources.every((source) => statSync(source).mtimeMs <= built);
}

/** node-gyp: the one npm hands its scripts, else the one inside npm next to this node, else whatever is on PATH. */
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp, join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js")];
  const script = candidates.find((candidate) => candidate !== undefined && candidate !== "" && existsSync(candidate));
  return script !== undefined ? [process.execPath, [script]] : ["node-gyp", []];
}

/** Node's headers beside this node (distribution packages and nodejs.org tarballs have them): no download when offline. */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = join(dirname(process.execPath), "..");
  return existsSync(join(prefix, "include", "node", "node_api.h")) ? [`--nodedir=${prefix}`] : [];
}

function build() {
  if (process.platform !== "linux") return say(`native spawner not built: it is for Linux (pidfd), this is ${process.platform}; ${FALLBACK}`);
  if (upToDate()) return;
  const [command, prefix] = nodeGyp();
  const result = spawnSync(command, [...prefix, "rebuild", "--release", ...nodedirArgs()], { cwd: here, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (result.status === 0 && existsSync(addon)) return;
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n");
  const why = result.error !== undefined ? `${command}: ${result.error.message}` : output.filter((line) => /error/i.test(line)).slice(-3).join(" | ") || `node-gyp exited with ${result.status}`;
  say(`native spawner not built (${why}); ${FALLBACK}`);
}

try {
  build();
} catch (error) {
  say(`native spawner not built (${error.message}); ${FALLBACK}`);
}
