/**
 * docs/guides/from-crontab.md, followed as a reader would: its ```sh
 * blocks run in order (bash -e, each must exit 0; ```sh background is the
 * engine, left running for what follows), in a home folder of its own,
 * against the guide's own example crontab. `crontab` is a stand-in that keeps that
 * crontab in a file: this machine has no cron, and a test must never touch
 * a real user's crontab (the guide ends with crontab -r).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDefinitions, formatDefinitionErrors } from "../../src/definitions/load.js";
import { tempDir } from "../helpers/tmp.js";
import { finished, REPO_ROOT, SPIRE_BIN, type SpireResult } from "../helpers/cli.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";

checkNoLeftoverProcesses();

const GUIDE = readFileSync(join(REPO_ROOT, "docs", "guides", "from-crontab.md"), "utf8");

/** The fenced blocks of the guide: the info string (`sh`, `sh background`, `yaml`…) and the text. */
function blocks(): { info: string; body: string }[] {
  return [...GUIDE.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].map((match) => ({ info: match[1]!.trim(), body: match[2]! }));
}

const shown = (language: string) => blocks().filter((block) => block.info === language).map((block) => block.body);

/** Whether `excerpt`'s lines appear in `text` in the same order (other lines between them allowed). */
function appearsIn(text: string, excerpt: string): boolean {
  const lines = text.split("\n");
  let at = 0;
  for (const wanted of excerpt.trimEnd().split("\n")) {
    while (at < lines.length && lines[at] !== wanted) at++;
    if (at === lines.length) return false;
    at++;
  }
  return true;
}

test("every command of the crontab guide runs as written, against the guide's own crontab", async (t) => {
  const dir = tempDir(t);
  const home = join(dir, "home");
  const bin = join(dir, "bin");
  mkdirSync(home);
  mkdirSync(bin);
  const [crontab] = shown("crontab");
  assert.ok(crontab, "the guide shows an example crontab");
  const state = join(dir, "crontab.state");
  writeFileSync(state, crontab);
  writeFileSync(join(bin, "spire"), `#!/bin/sh\nexec '${process.execPath}' '${SPIRE_BIN}' "$@"\n`);
  writeFileSync(
    join(bin, "crontab"),
    [
      "#!/bin/sh",
      'case "$1" in',
      '  -l) [ -f "$FAKE_CRONTAB" ] && exec cat "$FAKE_CRONTAB"; echo "no crontab for you" >&2; exit 1 ;;',
      '  -r) [ -f "$FAKE_CRONTAB" ] && exec rm "$FAKE_CRONTAB"; echo "no crontab for you" >&2; exit 1 ;;',
      // like the real one: all of the new crontab read before the old one is replaced
      '  -) cat > "$FAKE_CRONTAB.new" && mv "$FAKE_CRONTAB.new" "$FAKE_CRONTAB" ;;',
      '  -*) echo "crontab: invalid option $1" >&2; exit 1 ;;',
      '  *) cp "$1" "$FAKE_CRONTAB" ;;',
      "esac",
      "",
    ].join("\n"),
  );
  for (const program of ["spire", "crontab"]) chmodSync(join(bin, program), 0o755);
  const data = join(dir, "data");
  const env = { ...process.env, HOME: home, PATH: `${bin}:${process.env.PATH}`, SPIRE_DATA: data, FAKE_CRONTAB: state, NO_COLOR: "1" };

  let engine: { child: ReturnType<typeof spawn>; exit: Promise<SpireResult> } | undefined;
  t.after(async () => {
    if (engine && engine.child.exitCode === null) {
      engine.child.kill("SIGTERM");
      await engine.exit;
    }
  });
  const outputs = new Map<string, string>();
  const shellBlocks = blocks().filter((block) => block.info.split(/\s+/)[0] === "sh");
  assert.ok(shellBlocks.length >= 6, "the guide's commands were found");
  for (const { info, body } of shellBlocks) {
    if (info.split(/\s+/).includes("background")) {
      assert.match(body, /^spire engine\b.*\n$/, "the one command left running is the engine");
      // The guide's engine, on a port of its own (others may be listening on 7431); it stays up for what follows.
      const child = spawn("sh", ["-c", `exec ${body.trim()} --listen 127.0.0.1:0`], { cwd: home, env, stdio: ["ignore", "pipe", "pipe"] });
      engine = { child, exit: finished(child) };
      const address = join(data, "engine.json");
      await until(() => child.exitCode !== null || (existsSync(address) && readFileSync(address, "utf8").includes(`"pid":${child.pid}`)), "the engine to listen", 15_000);
      if (child.exitCode !== null) assert.fail(`${body} stopped: ${(await engine.exit).stderr}`);
      continue;
    }
    const result = await finished(spawn("bash", ["-e", "-o", "pipefail", "-c", body], { cwd: home, env, stdio: ["ignore", "pipe", "pipe"] }));
    assert.equal(result.code, 0, `${body}\n${result.stdout}\n${result.stderr}`);
    outputs.set(body.trim(), result.stdout);
  }
  assert.ok(engine, "the guide starts the engine");
  engine.child.kill("SIGTERM");
  assert.equal((await engine.exit).code, 0);

  // What the commands should have done.
  assert.equal(readFileSync(join(home, "my.crontab"), "utf8"), crontab, "the copy of step 1");
  assert.equal(readFileSync(state, "utf8"), crontab, "the crontab is back as it was");
  assert.ok(existsSync(join(home, "disk-usage.txt")), "spire run ran the df job in the home folder, as cron would");
  assert.match(outputs.get("spire ls") ?? "", /\bdf\b/);
  const imported = readFileSync(join(home, "spire.yaml"), "utf8");
  const pipelinesOf = (text: string) => text.slice(text.indexOf("\npipelines:"));
  assert.equal(pipelinesOf(readFileSync(join(home, "from-file.yaml"), "utf8")), pipelinesOf(imported), "a file and crontab -l import the same");

  // The YAML the guide shows is what the import makes, or (a notify: example) fits into it.
  for (const yaml of shown("yaml")) {
    if (appearsIn(imported, yaml)) continue;
    assert.match(yaml, /^ {4}notify:/, `not in the imported file:\n${yaml}`);
    const withNotify = imported.replace(/^( {2}df:\n[\s\S]*?)^( {4}tasks:)/m, `$1${yaml}$2`);
    const parsed = parseDefinitions(withNotify, "spire.yaml");
    assert.ok(parsed.ok, parsed.ok ? "" : formatDefinitionErrors(parsed.errors));
    assert.equal(parsed.file.pipelines["df"]!.notify.length, 1);
  }
});
