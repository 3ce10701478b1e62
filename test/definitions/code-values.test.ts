/**
 * A value from outside (a run argument, a task's output) in an argv where a
 * program would run it is a validation error at its line and column, with
 * the key path and the safe form; the same value as data is fine (issue 12).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseDefinitions, type DefinitionError } from "../../src/definitions/load.js";

const V = "${{ args.x }}";

/** One task written as a flow mapping on line 7; returns its errors. */
function errorsOf(task: string): DefinitionError[] {
  const text = `pipelines:\n  p:\n    args:\n      x: { default: a }\n    tasks:\n      before: { run: "true" }\n      t: ${task}\n      after: { run: "true" }\n`;
  const result = parseDefinitions(text, "spire.yaml");
  return result.ok ? [] : result.errors;
}

/** The column (1-based) of the template on the task's line. */
const columnOf = (task: string) => "      t: ".length + task.indexOf(V) + 1;

interface Case {
  task: string;
  keyPath: string;
  message: RegExp;
  hint: RegExp;
}

const SHELL_HINT = /^pass it as an argument after the code: \[(sh|bash|dash), -c, 'echo "\$1"', (sh|bash|dash), "\$\{\{ args\.x }}"\]; or through env: \{ VALUE: "\$\{\{ args\.x }}" } and "\$VALUE" in the code$/;
const OPTION_HINT = /^put it after a -- that ends the options/;
const PROGRAM_HINT = /^write the program out, and pass the value as an argument after it or through env:$/;

const REFUSED: Record<string, Case> = {
  "sh -c": { task: `{ exec: [sh, -c, "echo ${V}"] }`, keyPath: "exec[2]", message: /is part of the code sh runs: values never become code$/, hint: SHELL_HINT },
  "bash -c": { task: `{ exec: [bash, -c, "echo ${V}"] }`, keyPath: "exec[2]", message: /code bash runs/, hint: SHELL_HINT },
  "/bin/sh -c": { task: `{ exec: [/bin/sh, -c, "${V}"] }`, keyPath: "exec[2]", message: /code sh runs/, hint: SHELL_HINT },
  "bash -lc (combined letters)": { task: `{ exec: [bash, -lc, "ls ${V}"] }`, keyPath: "exec[2]", message: /code bash runs/, hint: SHELL_HINT },
  "sh -ec": { task: `{ exec: [sh, -ec, "ls ${V}"] }`, keyPath: "exec[2]", message: /code sh runs/, hint: SHELL_HINT },
  "bash -o pipefail -c": { task: `{ exec: [bash, -o, pipefail, -c, "ls ${V}"] }`, keyPath: "exec[4]", message: /code bash runs/, hint: SHELL_HINT },
  "env sh -c": { task: `{ exec: [env, sh, -c, "ls ${V}"] }`, keyPath: "exec[3]", message: /code sh runs/, hint: SHELL_HINT },
  "/usr/bin/env bash -c": { task: `{ exec: [/usr/bin/env, A=1, bash, -c, "ls ${V}"] }`, keyPath: "exec[4]", message: /code bash runs/, hint: SHELL_HINT },
  "env -S": { task: `{ exec: [env, -S, "sh -c", "ls ${V}"] }`, keyPath: "exec[3]", message: /code sh runs/, hint: SHELL_HINT },
  "busybox sh -c": { task: `{ exec: [busybox, sh, -c, "${V}"] }`, keyPath: "exec[3]", message: /code sh runs/, hint: SHELL_HINT },
  "sudo/nice/timeout/nohup/setsid before the shell": { task: `{ exec: [sudo, -u, bob, nice, -n, "5", timeout, 10s, nohup, setsid, dash, -c, "${V}"] }`, keyPath: "exec[12]", message: /code dash runs/, hint: SHELL_HINT },
  "xargs sh -c": { task: `{ exec: [xargs, "-0", sh, -c, "${V}"] }`, keyPath: "exec[4]", message: /code sh runs/, hint: SHELL_HINT },
  "flock FILE -c": { task: `{ exec: [flock, /tmp/lock, -c, "${V}"] }`, keyPath: "exec[3]", message: /code flock runs/, hint: /run the command without a shell/ },
  "su -c": { task: `{ exec: [su, -c, "${V}", bob] }`, keyPath: "exec[2]", message: /code su runs/, hint: /run the command without a shell/ },
  "runuser without -u": { task: `{ exec: [runuser, bob, "${V}"] }`, keyPath: "exec[2]", message: /code runuser runs/, hint: /run the command without a shell/ },
  "sudo -s": { task: `{ exec: [sudo, -s, echo, "${V}"] }`, keyPath: "exec[3]", message: /code sudo runs/, hint: /run the command without a shell/ },
  "watch": { task: `{ exec: [watch, -n, "5", ls, "${V}"] }`, keyPath: "exec[4]", message: /code watch runs/, hint: /watch -x/ },
  "python3.11 -c": { task: `{ exec: [python3.11, -c, "print(${V})"] }`, keyPath: "exec[2]", message: /code python runs/, hint: /\[python3, -c, 'import sys; print\(sys\.argv\[1\]\)', "\$\{\{ args\.x }}"\]/ },
  "python -m": { task: `{ exec: [python3, -m, "${V}"] }`, keyPath: "exec[2]", message: /would choose what python runs/, hint: PROGRAM_HINT },
  "python SCRIPT": { task: `{ exec: [python3, -u, "${V}"] }`, keyPath: "exec[2]", message: /would choose what python runs/, hint: PROGRAM_HINT },
  "node -e": { task: `{ exec: [node, -e, "${V}"] }`, keyPath: "exec[2]", message: /code node runs/, hint: /\[node, -e, 'console\.log\(process\.argv\[1\]\)', --, / },
  "node --eval": { task: `{ exec: [node, --eval, "${V}"] }`, keyPath: "exec[2]", message: /code node runs/, hint: /process\.env\.VALUE/ },
  "node --print=": { task: `{ exec: [node, "--print=${V}"] }`, keyPath: "exec[1]", message: /code node runs/, hint: /process\.env\.VALUE/ },
  "node -p CODE VALUE (still an option)": { task: `{ exec: [node, -p, "1", "${V}"] }`, keyPath: "exec[3]", message: /stands where node reads its options: a value such as --eval=… would change what runs$/, hint: OPTION_HINT },
  "node task args without --": { task: `{ exec: [node, -r, ./setup.js, -e, "1", "${V}"] }`, keyPath: "exec[5]", message: /where node reads its options/, hint: OPTION_HINT },
  "deno eval": { task: `{ exec: [deno, eval, "${V}"] }`, keyPath: "exec[2]", message: /code deno runs/, hint: /process\.env\.VALUE/ },
  "perl -e": { task: `{ exec: [perl, -lne, "print ${V}"] }`, keyPath: "exec[2]", message: /code perl runs/, hint: /\$ENV\{VALUE}/ },
  "perl -E then a value (still an option)": { task: `{ exec: [perl, -E, "say 1", "${V}"] }`, keyPath: "exec[3]", message: /where perl reads its options: a value such as -e… would/, hint: OPTION_HINT },
  "ruby -e": { task: `{ exec: [ruby, -e, "puts ${V}"] }`, keyPath: "exec[2]", message: /code ruby runs/, hint: /ENV\["VALUE"\]/ },
  "php -r": { task: `{ exec: [php8.2, -r, "${V}"] }`, keyPath: "exec[2]", message: /code php runs/, hint: /getenv/ },
  "awk program": { task: `{ exec: [gawk, "{ print \\"${V}\\" }"] }`, keyPath: "exec[1]", message: /code awk runs/, hint: /ENVIRON\["VALUE"\]/ },
  "sed script": { task: `{ exec: [sed, -e, "s/a/${V}/"] }`, keyPath: "exec[2]", message: /code sed runs/, hint: /sed cannot take a value safely/ },
  "sed file without -- (GNU sed reads options anywhere)": { task: `{ exec: [sed, s/a/b/, "${V}"] }`, keyPath: "exec[2]", message: /where sed reads its options: a value such as --expression=…/, hint: OPTION_HINT },
  "jq filter": { task: `{ exec: [jq, "${V}"] }`, keyPath: "exec[1]", message: /code jq runs/, hint: /--arg/ },
  "ssh HOST CMD": { task: `{ exec: [ssh, -p, "2222", host, ls, "${V}"] }`, keyPath: "exec[5]", message: /part of the command ssh sends: the remote shell parses it/, hint: /SendEnv=VALUE/ },
  "ssh VALUE (an option)": { task: `{ exec: [ssh, "${V}", uptime] }`, keyPath: "exec[1]", message: /where ssh reads its options: a value such as -oProxyCommand=…/, hint: OPTION_HINT },
  "ssh -o": { task: `{ exec: [ssh, -o, "${V}", host, uptime] }`, keyPath: "exec[2]", message: /code ssh runs|command ssh sends/, hint: /./ },
  "docker run IMAGE sh -c": { task: `{ exec: [docker, run, --rm, -e, A=1, alpine, sh, -c, "${V}"] }`, keyPath: "exec[8]", message: /code sh runs/, hint: SHELL_HINT },
  "docker exec": { task: `{ exec: [docker, exec, -i, box, bash, -c, "${V}"] }`, keyPath: "exec[6]", message: /code bash runs/, hint: SHELL_HINT },
  "docker --entrypoint sh": { task: `{ exec: [docker, run, --entrypoint, sh, alpine, -c, "${V}"] }`, keyPath: "exec[6]", message: /code sh runs/, hint: SHELL_HINT },
  "kubectl exec -- sh -c": { task: `{ exec: [kubectl, exec, pod, --, sh, -c, "${V}"] }`, keyPath: "exec[6]", message: /code sh runs/, hint: SHELL_HINT },
  "find -exec sh -c": { task: `{ exec: [find, ., -name, "*.log", -exec, sh, -c, "rm ${V}", ";"] }`, keyPath: "exec[7]", message: /code sh runs/, hint: SHELL_HINT },
  "make NAME=VALUE": { task: `{ exec: [make, "TARGET=${V}"] }`, keyPath: "exec[1]", message: /code make runs/, hint: /\$\$VALUE/ },
  "git clone VALUE (an option)": { task: `{ exec: [git, clone, "${V}"] }`, keyPath: "exec[2]", message: /where git reads its options: a value such as --upload-pack=…/, hint: OPTION_HINT },
  "git -c": { task: `{ exec: [git, -c, "${V}", status] }`, keyPath: "exec[2]", message: /code git runs/, hint: /configuration/ },
  "pwsh -Command": { task: `{ exec: [pwsh, -NoProfile, -Command, "${V}"] }`, keyPath: "exec[3]", message: /code pwsh runs/, hint: /./ },
  "bash --rcfile": { task: `{ exec: [bash, --rcfile, "${V}"] }`, keyPath: "exec[2]", message: /would choose what bash runs/, hint: PROGRAM_HINT },
  "the program itself": { task: `{ exec: ["${V}", --version] }`, keyPath: "exec[0]", message: /would choose the program that runs: a value from outside could run any program$/, hint: PROGRAM_HINT },
  "a program path from a value": { task: `{ exec: ["/opt/${V}/bin/tool"] }`, keyPath: "exec[0]", message: /would choose the program that runs/, hint: PROGRAM_HINT },
  "after an option Spire does not know": { task: `{ exec: [node, --frobnicate, -e, "1", --, "${V}"] }`, keyPath: "exec[5]", message: /^Spire does not know how node reads --frobnicate, so it cannot tell whether `\$\{\{ args\.x }}` after it is code$/, hint: /--name=value/ },
  "exec + args: the code argument": { task: `{ exec: [sh, -c], args: ["${V}"] }`, keyPath: "args[0]", message: /code sh runs/, hint: SHELL_HINT },
  "run + shell: ssh (ssh reads options after the host)": { task: `{ run: uptime, shell: ssh, args: ["${V}"] }`, keyPath: "args[0]", message: /where ssh reads its options/, hint: OPTION_HINT },
  "script + interpreter: ssh (the script path is the host)": { task: `{ script: deploy.sh, interpreter: ssh, args: [uptime, "${V}"] }`, keyPath: "args[1]", message: /command ssh sends/, hint: /SendEnv/ },
  "docker command array": { task: `{ docker: { image: alpine, command: [sh, -c, "echo ${V}"] } }`, keyPath: "docker.command[2]", message: /code sh runs/, hint: SHELL_HINT },
  "docker command string": { task: `{ docker: { image: alpine, command: "sh -c 'echo ${V}'" } }`, keyPath: "docker.command", message: /code sh runs/, hint: SHELL_HINT },
  "docker image": { task: `{ docker: { image: "${V}", command: [echo] } }`, keyPath: "docker.image", message: /would choose the image that runs/, hint: /image's tag \(image:\$\{\{ args\.x }}\)/ },
  "a variable read as code (task env)": { task: `{ run: "true", env: { NODE_OPTIONS: "--require ${V}" } }`, keyPath: "env.NODE_OPTIONS", message: /cannot set NODE_OPTIONS: programs read it as code/, hint: /a variable of your own/ },
  "a variable read as code (docker env)": { task: `{ docker: { image: alpine, env: { LD_PRELOAD: "${V}" } } }`, keyPath: "docker.env.LD_PRELOAD", message: /cannot set LD_PRELOAD/, hint: /a variable of your own/ },
  "env NAME=VALUE before a command": { task: `{ exec: [env, "BASH_ENV=${V}", bash, script.sh] }`, keyPath: "exec[1]", message: /cannot set BASH_ENV for env: it is read as code/, hint: /a variable of your own/ },
  "sqlite3 SQL (its dot commands run programs)": { task: `{ exec: [sqlite3, ":memory:", "${V}"] }`, keyPath: "exec[2]", message: /is part of the code sqlite3 runs/, hint: /sqlite3 reads its arguments as commands of its own, and can run any program from them: a sql: task binds a value as a parameter instead/ },
  "psql -c (\\! runs a shell)": { task: `{ exec: [/usr/bin/psql, -d, app, -c, "${V}"] }`, keyPath: "exec[4]", message: /code psql runs/, hint: /a sql: task binds a value as a parameter/ },
  "vim -c": { task: `{ exec: [nvim, --headless, -c, "${V}"] }`, keyPath: "exec[3]", message: /code nvim runs/, hint: /write the commands out, and give the value in env/ },
  "gdb -ex": { task: `{ exec: [gdb, -batch, -ex, "${V}"] }`, keyPath: "exec[3]", message: /code gdb runs/, hint: /commands of its own/ },
  "tmux new": { task: `{ exec: [tmux, new, -d, "${V}"] }`, keyPath: "exec[3]", message: /code tmux runs/, hint: /commands of its own/ },
  "parallel's command": { task: `{ exec: [parallel, "${V}", ":::", a, b] }`, keyPath: "exec[1]", message: /code parallel runs/, hint: /commands of its own/ },
  "nix-shell --run": { task: `{ exec: [nix-shell, -p, hello, --run, "${V}"] }`, keyPath: "exec[4]", message: /code nix-shell runs/, hint: /commands of its own/ },
  "SH -c (a disk that ignores case runs sh)": { task: `{ exec: [SH, -c, "${V}"] }`, keyPath: "exec[2]", message: /code sh runs/, hint: SHELL_HINT },
  "/bin/Bash -c": { task: `{ exec: [/bin/Bash, -c, "${V}"] }`, keyPath: "exec[2]", message: /code bash runs/, hint: SHELL_HINT },
  "npx -c": { task: `{ exec: [npx, -c, "${V}"] }`, keyPath: "exec[2]", message: /code npx runs/, hint: /./ },
  "npx PACKAGE from a value": { task: `{ exec: [npx, --yes, "${V}"] }`, keyPath: "exec[2]", message: /would choose what npx runs/, hint: PROGRAM_HINT },
  "ssh-agent COMMAND from a value": { task: `{ exec: [ssh-agent, "${V}"] }`, keyPath: "exec[1]", message: /would choose what ssh-agent runs/, hint: PROGRAM_HINT },
  "PATH": { task: `{ exec: ["true"], env: { PATH: "/opt/${V}/bin" } }`, keyPath: "env.PATH", message: /cannot set PATH/, hint: /./ },
};

const ALLOWED: Record<string, string> = {
  "sh -c with the value as $1": `{ exec: [sh, -c, 'echo "$1"', sh, "${V}"] }`,
  "bash -c with the value after $0": `{ exec: [env, A=1, bash, -o, pipefail, -c, 'echo "$1"', bash, "${V}"] }`,
  "python3 -c with the value in sys.argv": `{ exec: [python3, -c, "import sys; print(sys.argv[1])", "${V}"] }`,
  "node -e CODE -- value": `{ exec: [node, --no-warnings, -e, "console.log(process.argv[1])", --, "${V}"] }`,
  "perl -e CODE -- value": `{ exec: [perl, -e, "print $ARGV[0]", --, "${V}"] }`,
  "a node task's args (the runner puts -- before them)": `{ node: "console.log(process.argv[1])", args: ["${V}"] }`,
  "a python task's args": `{ python: "import sys; print(sys.argv[1])", args: ["${V}"] }`,
  "a run task's args ($1)": `{ run: 'echo "$1"', args: ["${V}"] }`,
  "awk -v": `{ exec: [awk, -v, "x=${V}", "BEGIN { print x }"] }`,
  "jq --arg": `{ exec: [jq, -n, --arg, x, "${V}", "$x"] }`,
  "sed with -- before the file": `{ exec: [sed, s/a/b/, --, "${V}"] }`,
  "git clone -- URL": `{ exec: [git, clone, --depth=1, --, "${V}"] }`,
  "ssh to a host from a value (after user@)": `{ exec: [ssh, "deploy@${V}", uptime] }`,
  "sudo -u USER CMD VALUE": `{ exec: [sudo, -u, bob, echo, "${V}"] }`,
  "runuser -u USER -- CMD VALUE": `{ exec: [runuser, -u, bob, --, echo, "${V}"] }`,
  "flock FILE CMD VALUE": `{ exec: [flock, /tmp/lock, echo, "${V}"] }`,
  "watch -x": `{ exec: [watch, -x, ls, "${V}"] }`,
  "npx PACKAGE with a value as its data": `{ exec: [npx, --yes, cowsay, "${V}"] }`,
  "a program Spire does not know": `{ exec: [rsync, -a, "${V}", /backup/] }`,
  "a docker image's tag": `{ docker: { image: "alpine:${V}", command: [echo, "${V}"] } }`,
  "a variable of one's own": `{ run: 'echo "$TARGET"', env: { TARGET: "${V}" } }`,
  "matrix and run values may be code (they come from the file and from Spire)": `{ matrix: { os: [a, b] }, exec: [sh, -c, "echo \${{ matrix.os }} \${{ run.id }}"] }`,
};

describe("a value from outside where a program would run it is refused at its place", () => {
  for (const [name, { task, keyPath, message, hint }] of Object.entries(REFUSED)) {
    test(name, () => {
      const errors = errorsOf(task);
      assert.equal(errors.length, 1, errors.map((error) => `${error.keyPath}: ${error.message}`).join("\n"));
      const [error] = errors;
      assert.equal(error!.file, "spire.yaml");
      assert.equal(error!.keyPath, `pipelines.p.tasks.t.${keyPath}`);
      assert.deepEqual([error!.line, error!.column], [7, columnOf(task)], error!.message);
      assert.match(error!.message, message);
      assert.match(error!.hint ?? "", hint);
    });
  }
});

describe("the same value as data is fine", () => {
  for (const [name, task] of Object.entries(ALLOWED)) {
    test(name, () => assert.deepEqual(errorsOf(task).map((error) => `${error.keyPath}: ${error.message}`), []));
  }
});

test("a task output is a value from outside too; the pipeline's env is checked like a task's", () => {
  const text = [
    "pipelines:",
    "  p:",
    '    env: { PYTHONPATH: "${{ args.x }}" }',
    "    args: { x: { default: a } }",
    "    tasks:",
    '      first: { run: "echo ::output::cmd=ls" }',
    '      second: { needs: [first], exec: [bash, -c, "${{ tasks.first.outputs.cmd }}"] }',
    "",
  ].join("\n");
  const result = parseDefinitions(text, "spire.yaml");
  assert.equal(result.ok, false);
  const errors = result.ok ? [] : result.errors;
  const lines = text.split("\n");
  assert.deepEqual(errors.map((error) => [error.line, error.column, error.keyPath]), [
    [3, lines[2]!.indexOf("${{") + 1, "pipelines.p.env.PYTHONPATH"],
    [7, lines[6]!.indexOf("${{") + 1, "pipelines.p.tasks.second.exec[2]"],
  ]);
});

test("the check reads the argv the runners build (so args land where the check thinks)", async () => {
  const { taskArgv } = await import("../../src/definitions/check-code-values.js");
  const { commandFor } = await import("../../src/runners/runners.js");
  const { taskSchema } = await import("../../src/definitions/schema.js");
  const context = { cwd: "/", nodePath: "node", nodeVersion: "20.11.0" };
  // The code of each task is spelled as the word the check puts in its place.
  const tasks = [
    { run: "run", args: ["A", "B"] },
    { run: "run", shell: "bash", args: ["A"] },
    { python: "python", args: ["A"] },
    { python: "python", interpreter: "python3.12", args: ["A"] },
    { node: "node", args: ["A"] },
    { script: "/script", interpreter: "bash", args: ["A"] },
    { exec: ["tool", "x"], args: ["A"] },
  ];
  for (const raw of tasks) {
    const checked = taskArgv({ name: "t", path: ["t"], task: raw, matrixKeys: new Set() })!.map((word) => word.text.replace(/^script$/, "/script"));
    const ran = commandFor(taskSchema.parse(raw), context);
    assert.deepEqual(checked, "argv" in ran ? ran.argv : ran, JSON.stringify(raw));
  }
});
