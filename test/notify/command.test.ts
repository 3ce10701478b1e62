/** `notify: run` — the user's command with the run in its environment, in the definitions file's folder; timeouts and shutdown end its whole group. */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import pino from "pino";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { alive, until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { startApi, type Api } from "../api/harness.js";
import { recorded, runToEnd } from "./helpers.js";

checkNoLeftoverProcesses();

const SECRET = "s3cret-notify-value";
process.env.SPIRE_NOTIFY_TEST_TOKEN = SECRET;

/** Applies `yaml` as if from `<folder>/spire.yaml` on this machine (the command's cwd is that folder). */
async function applyFrom(api: Api, folder: string, yaml: string): Promise<void> {
  await api.engine.apply(
    { name: "test", scope: "admin" },
    { text: yaml, namespace: "test", prune: false, dryRun: false, origin: { host: hostname(), user: userInfo().username, path: join(folder, "spire.yaml") } },
  );
}

/** An engine, a definitions folder, and one run of test/ok, whose success runs `command`. */
async function successNotifying(t: TestContext, command: string, options: Parameters<typeof startApi>[1] = {}, pipelineExtra = "") {
  const api = await startApi(t, options);
  const folder = tempDir(t, "spire-notify-");
  const yaml = `pipelines:\n  ok:\n${pipelineExtra}    notify: [{ on: [success], run: ${JSON.stringify(command)} }]\n    tasks:\n      one: { run: "true" }\n`;
  await applyFrom(api, folder, yaml);
  return { api, folder, run: await runToEnd(api, "ok") };
}

function engineLog(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: "info" }, { write: (line: string) => void lines.push(line) }), lines };
}

test("the command runs in the definitions file's folder with the run in its environment; values are never shell code", async (t) => {
  const api = await startApi(t);
  const folder = tempDir(t, "spire-notify-");
  await applyFrom(
    api,
    folder,
    `
pipelines:
  backup:
    args:
      label: { default: x }
    notify:
      - on: [failure]
        run: 'env | grep "^SPIRE_" | grep -v "^SPIRE_RUN_JSON=" > notified.env; printf %s "$SPIRE_RUN_JSON" > run.json; pwd > cwd.txt'
    tasks:
      dump: { run: "exit 2" }
`,
  );
  const hostile = `$(touch ${join(folder, "pwned")}); \`touch ${join(folder, "pwned2")}\``;
  const run = await runToEnd(api, "backup", { label: hostile });
  const [event] = await recorded(api, run.id, "notify.delivered");

  assert.equal(event!.data.channel, "run");
  assert.equal(event!.data.status, "exit 0");
  assert.equal(readFileSync(join(folder, "cwd.txt"), "utf8").trim(), realpathSync(folder));
  const env = parseEnv(readFileSync(join(folder, "notified.env"), "utf8"));
  assert.equal(env.SPIRE_RUN_ID, run.id);
  assert.equal(env.SPIRE_NAMESPACE, "test");
  assert.equal(env.SPIRE_PIPELINE, "backup");
  assert.equal(env.SPIRE_RUN_STATE, "failed");
  assert.equal(env.SPIRE_NOTIFY_EVENT, "failure");
  assert.equal(env.SPIRE_TRIGGER, "manual");
  assert.match(env.SPIRE_NOTIFY_TEXT ?? "", /^test\/backup failed on .*: dump exited 2 — run /);
  const json = JSON.parse(readFileSync(join(folder, "run.json"), "utf8")) as { id: string; args: { label: string }; tasks: { exit_code: number }[] };
  assert.equal(json.id, run.id);
  assert.equal(json.args.label, hostile, "the argument arrives as data");
  assert.equal(json.tasks[0]!.exit_code, 2);
  assert.ok(!existsSync(join(folder, "pwned")) && !existsSync(join(folder, "pwned2")), "nothing of the run was run as shell code");
});

test("a failing command is recorded with its exit and last line, secrets masked there and in the engine log", async (t) => {
  const { logger, lines } = engineLog();
  const { api, run } = await successNotifying(t, 'echo "starting"; echo "token was $SPIRE_NOTIFY_TEST_TOKEN" >&2; exit 4', { logger }, "    secrets: [SPIRE_NOTIFY_TEST_TOKEN]\n");
  const [event] = await recorded(api, run.id, "notify.failed");
  await api.notifier.idle();

  assert.equal(event!.data.status, "exit 4");
  assert.equal(event!.data.error, "exit 4: token was ***");
  assert.equal(event!.data.attempts, 1, "a command is not retried");
  assert.equal((await api.engine.getRun(run.id)).state, "succeeded");
  const output = lines.map((line) => JSON.parse(line) as { msg: string; output?: string }).find((line) => line.msg === "notify command output");
  assert.equal(output?.output, "starting\ntoken was ***");
  assert.ok(!lines.join("").includes(SECRET), "the secret is not in the engine log");
  assert.ok(!JSON.stringify(await api.store.listEvents(run.id, 0, 1000)).includes(SECRET), "nor in the run's events");
});

test("a command that hangs is ended at its timeout, with what it started in the background", async (t) => {
  const { api, folder, run } = await successNotifying(t, 'sleep 60 & echo $! > background.pid; echo $$ > shell.pid; trap "" TERM; sleep 60', { notify: { commandTimeoutMs: 500, killGraceMs: 200 } });
  const started = Date.now();
  const [event] = await recorded(api, run.id, "notify.failed");
  assert.ok(Date.now() - started < 5000, "ended at its timeout, not at the command's end");
  assert.equal(event!.data.error, "timed out after 500 ms");
  const pids = ["background.pid", "shell.pid"].map((file) => Number(readFileSync(join(folder, file), "utf8")));
  await until(() => pids.every((pid) => !alive(pid)), "the command's processes to end", 3000);
});

test("at engine stop, a delivery still under way gets the grace, then is abandoned and recorded so", async (t) => {
  const { api, folder, run } = await successNotifying(t, "echo $$ > shell.pid; sleep 60");
  await until(() => existsSync(join(folder, "shell.pid")) && readFileSync(join(folder, "shell.pid"), "utf8").endsWith("\n"), "the command to start");
  const pid = Number(readFileSync(join(folder, "shell.pid"), "utf8"));
  const closing = Date.now();
  await api.notifier.close(300);
  assert.ok(Date.now() - closing < 4000, "close is bounded");
  assert.equal(alive(pid), false);
  const [event] = await recorded(api, run.id, "notify.failed");
  assert.match(String(event!.data.error), /engine stopped/);
});
