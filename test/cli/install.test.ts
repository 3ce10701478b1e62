/**
 * Getting `spire` on PATH as the README says: `npm install -g` of this
 * clone, into a prefix of the user's own (no root). npm links a folder rather
 * than copying it, so this needs no network (--offline) and takes a second.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, lstatSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, SPIRE_BIN } from "../helpers/cli.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

/** npm with a cache of its own (nothing written to the user's) and no network. */
function npm(args: string[], cwd: string, cache: string) {
  return spawnSync("npm", [...args, "--offline", "--no-audit", "--no-fund"], { cwd, encoding: "utf8", env: { ...process.env, npm_config_cache: cache, npm_config_update_notifier: "false" } });
}

test("npm install -g of the clone with --prefix puts a spire on PATH that links to the clone and works from any folder", (t) => {
  const root = tempDir(t, "spire-install-");
  const [prefix, elsewhere, cache] = ["prefix", "elsewhere", "cache"].map((name) => join(root, name)) as [string, string, string];
  mkdirSync(elsewhere);
  // --ignore-scripts: the clone is built already (npm install ran its prepare); npm would build it again.
  const installed = npm(["install", "-g", REPO_ROOT, "--prefix", prefix, "--ignore-scripts"], elsewhere, cache);
  assert.equal(installed.status, 0, installed.stdout + installed.stderr);

  const bin = join(prefix, "bin", "spire");
  assert.ok(lstatSync(join(prefix, "lib", "node_modules", "spire")).isSymbolicLink(), "a link to the clone, not a copy");
  assert.equal(realpathSync(bin), realpathSync(SPIRE_BIN));

  // Run as a shell would: the file itself, its shebang finding node on PATH.
  const run = (args: string[]) => spawnSync(bin, args, { cwd: elsewhere, encoding: "utf8", env: { ...process.env, HOME: root, XDG_CONFIG_HOME: join(root, "config"), SPIRE_DATA: join(root, "data") } });
  const version = run(["--version"]);
  assert.deepEqual([version.status, version.stdout], [0, `${VERSION}\n`], version.stderr);
  const help = run(["--help"]);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^ {2}service\s/m);
  const next = run(["next", "0 3 * * *", "-n", "1", "--json", "--tz", "UTC", "--from", "2030-01-01T00:00:00Z"]);
  assert.equal(next.status, 0, next.stderr);
  assert.deepEqual(JSON.parse(next.stdout).next, ["2030-01-01T03:00:00+00:00"]);

  // The service it would install runs the clone's script (the link resolved), with the shebang's node flags.
  const service = run(["service", "install", "--dry-run", "--platform", "linux"]);
  assert.equal(service.status, 0, service.stderr);
  assert.match(service.stdout, new RegExp(`^ExecStart="${process.execPath}" "--v8-pool-size=1" "${realpathSync(SPIRE_BIN)}" "engine"`, "m"));
});

test("npm ci of this package and lock file on Node 20 warns about nothing (no dependency wants a newer Node)", (t) => {
  const root = tempDir(t, "spire-ci-");
  for (const file of ["package.json", "package-lock.json"]) copyFileSync(join(REPO_ROOT, file), join(root, file));
  const result = npm(["ci", "--dry-run", "--ignore-scripts"], root, join(root, "cache"));
  assert.equal(result.status, 0, result.stderr);
  const warnings = (result.stdout + result.stderr).split("\n").filter((line) => /npm warn/i.test(line) && !/Unknown (user|project) config/.test(line));
  assert.deepEqual(warnings, []);
});
