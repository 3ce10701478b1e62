/**
 * A value from outside that starts a word of an exec task, read by a
 * program Spire does not know, before any `--`, may not start with "-": the
 * program would read it as an option (tar --checkpoint-action=exec=…, rsync
 * -e …). The attempt fails with the reason, and nothing runs. After `--`,
 * inside a word, and for programs Spire knows (checked where they read
 * options when the file is), a value is data; but not the arguments such a
 * program hands to a script or module it runs, which are a script's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { spire } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

const FILE = `pipelines:
  unknown:
    args: { x: { default: a } }
    tasks:
      t: { exec: [touch, "\${{ args.x }}"] }
  inside:
    args: { x: { default: a } }
    tasks:
      t: { exec: ["true", "name=\${{ args.x }}"] }
  dashes:
    args: { x: { default: a } }
    tasks:
      t: { exec: ["true", --, "\${{ args.x }}"] }
  script:
    args: { x: { default: a } }
    tasks:
      t: { script: ./show.sh, args: ["\${{ args.x }}"] }
  boxed:
    args: { x: { default: a } }
    tasks:
      t: { docker: { image: alpine, command: [touch, "\${{ args.x }}"] } }
  wrapped:
    args: { x: { default: a } }
    tasks:
      t: { exec: [timeout, "10", touch, "\${{ args.x }}"] }
  emptyfirst:
    args: { a: { default: "" }, x: { default: a } }
    tasks:
      t: { exec: [touch, "\${{ args.a }}\${{ args.x }}"] }
  matrixed:
    args: { x: { default: a } }
    tasks:
      t: { matrix: { tool: [touch] }, exec: ["\${{ matrix.tool }}", "\${{ args.x }}"] }
  chosen:
    args:
      mode: { enum: ["--full", "--quick"], default: "--full" }
      n: { type: integer, default: 1 }
      flag: { default: "--verbose" }
    tasks:
      t: { exec: ["true", "\${{ args.mode }}", "\${{ args.n }}", "\${{ args.flag }}"] }
  known:
    args: { x: { default: a } }
    tasks:
      t: { exec: [sh, -c, 'printf "%s" "$1" > out.txt', sh, "\${{ args.x }}"] }
  interpreted:
    args: { x: { default: a } }
    tasks:
      t: { exec: [bash, ./show.sh, "\${{ args.x }}"] }
  bashdashes:
    args: { x: { default: a } }
    tasks:
      t: { exec: [bash, --, ./show.sh, "\${{ args.x }}"] }
  wrapdashes:
    args: { x: { default: a } }
    tasks:
      t: { exec: [timeout, --, "10", touch, "\${{ args.x }}"] }
  patterned:
    args: { x: { default: -a, pattern: "^-[a-z]+$" } }
    tasks:
      t: { exec: [uname, "\${{ args.x }}"] }
  module:
    args: { x: { default: a } }
    tasks:
      t: { exec: [python3, -m, this, "\${{ args.x }}"] }
`;

interface RunJson {
  state: string;
  tasks: { path: string; state: string; reason: string | null; exit_code: number | null }[];
}

test("an option-looking value for a program Spire does not know is refused before anything runs; after --, in a word, or for a known program it is data", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "spire.yaml");
  writeFileSync(file, FILE);
  writeFileSync(join(dir, "show.sh"), '#!/bin/sh\necho "$1"\n', { mode: 0o755 });
  const run = async (pipeline: string, value: string) => {
    const result = await spire(["run", "-f", file, pipeline, "--arg", `x=${value}`, "--json"], { data: dir, cwd: dir });
    return { code: result.code, run: JSON.parse(result.stdout) as RunJson };
  };
  const refused = await run("unknown", "--reference=/etc/shadow");
  assert.equal(refused.code, 1);
  const task = refused.run.tasks[0]!;
  assert.equal(task.state, "failed");
  assert.equal(task.exit_code, null, "nothing ran");
  assert.match(task.reason ?? "", /the value of args\.x starts with "-", and touch would read it as an option \(put a -- before it in exec, or pass it through env\)/);

  assert.equal((await run("unknown", "plain-name")).code, 0, "a value that is no option runs");
  const boxed = await run("boxed", "--reference=/etc/shadow");
  assert.equal(boxed.code, 1);
  assert.match(boxed.run.tasks[0]!.reason ?? "", /args\.x starts with "-", and touch would read it as an option/, "a container's command too");
  for (const pipeline of ["wrapped", "emptyfirst", "matrixed"]) {
    const result = await run(pipeline, "--reference=/etc/shadow");
    assert.equal(result.code, 1, `${pipeline}: ${JSON.stringify(result.run.tasks)}`);
    assert.match(result.run.tasks.at(-1)!.reason ?? "", /starts with "-", and touch would read it as an option|starts with "-", and timeout would read it as an option/, pipeline);
  }
  // Values the file chose: an enum's, a default left as it is, a number.
  const chosen = await spire(["run", "-f", file, "chosen", "--arg", "mode=--quick", "--arg", "n=-5"], { data: dir, cwd: dir });
  assert.equal(chosen.code, 0, chosen.stderr);
  const flagGiven = await spire(["run", "-f", file, "chosen", "--arg", "flag=--delete", "--json"], { data: dir, cwd: dir });
  assert.equal(flagGiven.code, 1, "a default overridden by the caller is the caller's value");
  const script = await run("script", "-x");
  assert.equal(script.code, 1, "a script reads its arguments as it will: getopts would take -x");
  assert.match(script.run.tasks[0]!.reason ?? "", /args\.x starts with "-", and \.\/show\.sh would read it as an option/);
  assert.equal((await run("inside", "-rf")).code, 0, "inside a word it is no option");
  assert.equal((await run("dashes", "-rf")).code, 0, "after -- it is data");
  assert.equal((await run("known", "-n")).code, 0, "the $1 of code in the file is data: the code is in sight");
  // A script or module run by an interpreter Spire knows reads its arguments as a script: task does.
  const interpreted = await run("interpreted", "-x");
  assert.equal(interpreted.code, 1);
  assert.match(interpreted.run.tasks[0]!.reason ?? "", /args\.x starts with "-", and the script or module bash runs would read it as an option \(pass it through env instead\)/);
  // A -- that is not the reader's own (bash's, a wrapper's) leaves the value an option all the same.
  assert.equal((await run("bashdashes", "-x")).code, 1);
  const wrapDashes = await run("wrapdashes", "--reference=/etc/shadow");
  assert.equal(wrapDashes.code, 1);
  assert.match(wrapDashes.run.tasks[0]!.reason ?? "", /and touch would read it as an option/);
  assert.equal((await run("patterned", "-s")).code, 0, "a value the arg's own pattern allows is the file's choice");
  assert.equal((await run("interpreted", "plain")).code, 0);
  const module = await run("module", "--index-url=http://evil");
  assert.equal(module.code, 1);
  assert.match(module.run.tasks[0]!.reason ?? "", /args\.x starts with "-", and the script or module python3 runs would read it as an option/);
  assert.equal((await run("module", "plain")).code, 0, "python3 -m this with a plain argument");
});
