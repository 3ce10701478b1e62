/** `spire import crontab` through the real program: files, crontab -l, -o, and the result validated, scheduled and run. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/tmp.js";
import { finished, REPO_ROOT, SPIRE_BIN, spire } from "../helpers/cli.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";

checkNoLeftoverProcesses();

/** A folder with a stand-in `crontab` program (this machine has none, and a test must never touch a real user's crontab). */
function fakeCrontab(dir: string, script: string): string {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "crontab"), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, "crontab"), 0o755);
  return bin;
}

test("a crontab file becomes a private spire.yaml that validates, and its jobs run as cron ran them: env, home folder, % input", async (t) => {
  const dir = tempDir(t);
  const home = join(dir, "home");
  mkdirSync(home);
  const crontab = join(dir, "my.crontab");
  writeFileSync(crontab, ['GREETING="hi there"', "# Say hello", "*/5 * * * * echo \"$GREETING from $(pwd)\" > greeting.txt", "0 9 * * 1 cat > input.txt%one%two \\% three", "@reboot ./tunnel.sh", ""].join("\n"));
  const out = join(dir, "spire.yaml");
  const env = { HOME: home };
  const result = await spire(["import", "crontab", crontab, "-o", out], { data: dir, env });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /^line 4: the text after the first unescaped % is the command's standard input/m);
  assert.match(result.stderr, /^line 5: @reboot has no trigger in Spire/m);
  assert.match(result.stderr, /wrote .*spire\.yaml: 3 jobs from my\.crontab as pipelines echo, cat, tunnel-sh/);
  assert.equal(statSync(out).mode & 0o777, 0o600, "what Spire writes is private");
  assert.match(readFileSync(out, "utf8"), /^# yaml-language-server: \$schema=file:\/\/\/.*\/schema\/spire\.schema\.json\n/);

  const validated = await spire(["validate", "-f", out], { data: dir, env });
  assert.equal(validated.code, 0, validated.stderr);
  assert.match(validated.stdout, /is valid: 3 pipelines \(echo, cat, tunnel-sh\), 3 tasks/);

  for (const name of ["echo", "cat"]) {
    const run = await spire(["run", "-f", out, name], { data: join(dir, "data"), env });
    assert.equal(run.code, 0, run.stderr);
  }
  assert.equal(readFileSync(join(home, "greeting.txt"), "utf8"), `hi there from ${home}\n`);
  assert.equal(readFileSync(join(home, "input.txt"), "utf8"), "one\ntwo % three\n");
});

test("spire next on the imported file gives the times cron runs them: either day rule, or both after a *", async (t) => {
  const dir = tempDir(t);
  const crontab = join(dir, "days.crontab");
  writeFileSync(crontab, "CRON_TZ=UTC\n0 12 13 * 5 /usr/bin/friday.sh\n0 0 */2 * mon /usr/bin/odd-monday.sh\n");
  const out = join(dir, "spire.yaml");
  assert.equal((await spire(["import", "crontab", crontab, "-o", out], { data: dir })).code, 0);
  const next = async (name: string) => {
    const result = await spire(["next", name, "-f", out, "--from", "2026-01-01T00:00:00Z", "-n", "5", "--json"], { data: dir });
    assert.equal(result.code, 0, result.stderr);
    return (JSON.parse(result.stdout) as { next: string[] }).next.map((time) => time.slice(0, 16));
  };
  // January 2026 starts on a Thursday: Fridays are the 2nd, 9th, 16th…; the 13th is a Tuesday.
  assert.deepEqual(await next("friday-sh"), ["2026-01-02T12:00", "2026-01-09T12:00", "2026-01-13T12:00", "2026-01-16T12:00", "2026-01-23T12:00"]);
  assert.deepEqual(await next("odd-monday-sh"), ["2026-01-05T00:00", "2026-01-19T00:00", "2026-02-09T00:00", "2026-02-23T00:00", "2026-03-09T00:00"]);
});

test("-o never overwrites a file: exit 2, the file as it was, and how to name another", async (t) => {
  const dir = tempDir(t);
  const crontab = join(dir, "my.crontab");
  writeFileSync(crontab, "0 3 * * * backup.sh\n");
  const out = join(dir, "spire.yaml");
  writeFileSync(out, "precious\n");
  const result = await spire(["import", "crontab", crontab, "-o", out], { data: dir });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /spire: .*spire\.yaml already exists: nothing was written\nChoose another name with -o: spire import crontab .*my\.crontab -o crontab\.yaml\n$/);
  assert.equal(readFileSync(out, "utf8"), "precious\n");
});

test("without a FILE: crontab -l is read; a machine without crontab, or a user without one, gets a clear error", async (t) => {
  const dir = tempDir(t);
  const none = join(dir, "empty-bin");
  mkdirSync(none);
  const missing = await spire(["import", "crontab"], { data: dir, env: { PATH: none } });
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, "spire: cannot read your crontab: this machine has no crontab program\nGive the crontab as a file instead: spire import crontab FILE (crontab -l > my.crontab where your crontab is; /etc/crontab with --system).\n");

  const nothing = fakeCrontab(join(dir, "a"), 'echo "no crontab for ada" >&2\nexit 1');
  const empty = await spire(["import", "crontab"], { data: dir, env: { PATH: nothing } });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /^spire: you have no crontab \(crontab -l: no crontab for ada\)\nNothing to import\./);

  const some = fakeCrontab(join(dir, "b"), '[ "$1" = -l ] || exit 9\nprintf "%s\\n" "MAILTO=ada@example.org" "30 2 * * * \\$HOME/bin/backup.sh"');
  const imported = await spire(["import", "crontab"], { data: dir, env: { PATH: some } });
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /^# Imported by `spire import crontab` from crontab -l\.$/m);
  assert.match(imported.stdout, /^ {2}backup-sh:$/m);
  assert.match(imported.stdout, /^ {4}# notify:$/m);
});

test("- reads the crontab from standard input", async (t) => {
  const dir = tempDir(t);
  const child = spawn(process.execPath, [SPIRE_BIN, "import", "crontab", "-"], { cwd: REPO_ROOT, env: { ...process.env, SPIRE_DATA: dir, NO_COLOR: "1" }, stdio: ["pipe", "pipe", "pipe"] });
  child.stdin.end("@hourly /usr/bin/sync-mail\n");
  const result = await finished(child);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /from standard input\./);
  assert.match(result.stdout, /^ {2}sync-mail:\n {4}description: \/usr\/bin\/sync-mail\n {4}triggers:\n {6}- cron: "@hourly"$/m);
});

test("a system crontab (--system) notes each job's user; mistakes in the command line say what to do", async (t) => {
  const dir = tempDir(t);
  const etc = join(dir, "crontab");
  writeFileSync(etc, "SHELL=/bin/sh\n*/10 * * * * www-data php /var/www/cron.php\n");
  const system = await spire(["import", "crontab", etc, "--system"], { data: dir });
  assert.equal(system.code, 0, system.stderr);
  assert.match(system.stdout, /# cron ran this as www-data; Spire runs it as the user who runs the engine/);
  assert.match(system.stderr, /1 job from crontab \(a system crontab\) as pipeline cron-php/);

  const missing = await spire(["import", "crontab", join(dir, "nope")], { data: dir });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^spire: no such file: .*nope\nGive the path of a crontab file, or leave FILE out to import your own \(crontab -l\)\.\n$/);

  writeFileSync(join(dir, "comments"), "# only a comment\nPATH=/bin\n");
  const empty = await spire(["import", "crontab", join(dir, "comments")], { data: dir });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /^spire: comments has no jobs to import\nA job is a line such as: 30 2 \* \* \* \$HOME\/bin\/backup\.sh\n$/);
  assert.equal(empty.stdout, "");

  const usage = await spire(["import", "anacron"], { data: dir });
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /unknown command 'anacron'/);
});
