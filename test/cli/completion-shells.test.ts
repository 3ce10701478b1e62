/**
 * `spire completion bash|zsh|fish` in the real shells, with no engine: the
 * commands and sub-commands, each command's options, the values of options
 * with choices, files where a file goes (and not where -f means --follow),
 * and a file name that holds shell code offered as it is, never run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { completer, missingShell, type Shell } from "../helpers/shells.js";

checkNoLeftoverProcesses();

const sorted = (values: string[]) => [...new Set(values)].sort();

for (const shell of ["bash", "zsh", "fish"] as Shell[]) {
  test(`${shell}: commands, sub-commands, options per command, choices, and files for --file`, { skip: missingShell(shell) }, async (t) => {
    const shellCompleter = await completer(t, shell, tempDir(t));
    writeFileSync(join(shellCompleter.cwd, "spire.yaml"), "pipelines: {}\n");
    writeFileSync(join(shellCompleter.cwd, "other.yml"), "pipelines: {}\n");
    const [commands, ru, runOptions, logsOptions, formats, streams, tokenCommands, scopes, shells, files, afterFollow, help] = await shellCompleter.completeEach([
      "spire ",
      "spire ru",
      "spire run --",
      "spire logs -",
      "spire validate --format ",
      "spire logs --stream ",
      "spire token ",
      "spire token create --scope ",
      "spire completion ",
      "spire validate -f ",
      "spire logs -f ",
      "spire help to",
    ]) as [string[], string[], string[], string[], string[], string[], string[], string[], string[], string[], string[], string[]];
    for (const command of ["run", "runs", "validate", "show", "logs", "token", "completion", "next"]) assert.ok(commands.includes(command), `spire <Tab> offers ${command}: ${commands.join(" ")}`);
    assert.ok(!commands.some((command) => command.startsWith("__")), `the hidden helper is not offered: ${commands.join(" ")}`);
    assert.deepEqual(sorted(ru), ["run", "runs"]);
    for (const option of ["--file", "--arg", "--detach", "--format", "--when"]) assert.ok(runOptions.includes(option), `spire run --<Tab> offers ${option}: ${runOptions.join(" ")}`);
    assert.ok(!runOptions.includes("--follow"), "options are the command's own");
    for (const option of ["-f", "--follow", "--stream", "-t", "--timestamps"]) assert.ok(logsOptions.includes(option), `spire logs -<Tab> offers ${option}: ${logsOptions.join(" ")}`);
    assert.deepEqual(sorted(formats), ["gator", "prunner", "spire"]);
    assert.deepEqual(sorted(streams), ["stderr", "stdout"]);
    assert.deepEqual(sorted(tokenCommands).filter((name) => name !== "help"), ["create", "list", "prunner", "revoke"]);
    assert.deepEqual(sorted(scopes), ["admin", "read", "run", "worker"]);
    assert.deepEqual(sorted(shells), ["bash", "fish", "zsh"]);
    assert.deepEqual(sorted(files), ["other.yml", "spire.yaml"]);
    assert.deepEqual(afterFollow, ["last"], "spire logs -f is --follow: a run comes next, not a file");
    assert.deepEqual(help, ["token"]);
  });
}

test("bash: --format=VALUE as readline splits it, and a file named like a command substitution offered as it is, not run", { skip: missingShell("bash") }, async (t) => {
  const bash = await completer(t, "bash", tempDir(t));
  const trap = "$(touch ran).yaml";
  writeFileSync(join(bash.cwd, trap), "");
  assert.deepEqual(await bash.complete("spire validate --format=p"), ["prunner"]);
  assert.deepEqual(sorted(await bash.complete("spire validate --format=")), ["gator", "prunner", "spire"]);
  assert.deepEqual(await bash.complete("spire validate -f $"), [trap]);
  assert.equal(existsSync(join(bash.cwd, "ran")), false, "the file name was run as code");
});
