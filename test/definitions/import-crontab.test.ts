/** `spire import crontab`'s translation: every crontab construct, and the result always passes validation. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { formatDefinitionErrors, parseDefinitions } from "../../src/definitions/load.js";
import type { SpireFile } from "../../src/definitions/schema.js";
import { importCrontab, type CrontabImport } from "../../src/definitions/import/crontab.js";
import { nameOfCommand, splitPercent, withStdin } from "../../src/definitions/import/cron-command.js";
import { looksLikeSystemCrontab } from "../../src/definitions/import/crontab-lines.js";

const HOME = "/home/ada";

function imported(crontab: string, options: { system?: boolean } = {}): CrontabImport & { file: SpireFile } {
  const result = importCrontab(crontab, { home: HOME, source: "test.crontab", fileName: "spire.yaml", ...options });
  const parsed = parseDefinitions(result.text, "spire.yaml");
  if (!parsed.ok) assert.fail(`the import does not validate:\n${formatDefinitionErrors(parsed.errors)}\n${result.text}`);
  return { ...result, file: parsed.file };
}

/** The file with the # taken off the lines of commented-out YAML (a notify example). */
function uncommented(text: string, lines: RegExp): string {
  return text
    .split("\n")
    .map((line) => (lines.test(line) ? line.replace(/^(\s*)# /, "$1") : line))
    .join("\n");
}

/** The file with every switched-off job switched on, as its comment says: the # off the lines below it. */
function switchedOn(text: string): string {
  let on = false;
  return text
    .split("\n")
    .map((line) => {
      if (/# To run it, take the # off the lines below\.$/.test(line)) {
        on = true;
        return line;
      }
      if (on && /^\s*#/.test(line)) return line.replace(/^(\s*)# /, "$1");
      on = false;
      return line;
    })
    .join("\n");
}

describe("jobs become pipelines", () => {
  test("a crontab with many kinds of lines imports to a file that validates, one pipeline per job", () => {
    const crontab = [
      "# m h  dom mon dow   command",
      "*/5 * * * * /usr/local/bin/check-mail.sh --quiet",
      "0 3 * * 1-5 $HOME/bin/backup.sh --full > /dev/null 2>&1",
      "30 2 1,15 * * cd /srv/app && python3 manage.py clearsessions",
      "0 0 * jan,jul sun tar -czf /tmp/half-year.tgz ~/notes",
      "15 14 1 * * nice -n 10 ionice -c3 /usr/bin/rsync -a ~/ /mnt/backup/",
      "0 */2 * * * env LANG=C timeout 5m curl -fsS https://example.org/ping",
      "0 9 * * MON-FRI  echo    'spaces   kept'",
      "@hourly /usr/bin/php /var/www/cron.php",
      "@daily run-parts /home/ada/cron.daily",
      "@annually echo happy new year",
      "@midnight sleep 1; echo late",
      "\t 1 1 1 1 1\tflock -n /tmp/lock /opt/job",
      "0 0 * * 7 true",
    ].join("\n");
    const result = imported(crontab);
    assert.deepEqual(result.pipelines, ["check-mail-sh", "backup-sh", "manage-py", "tar", "rsync", "curl", "echo", "cron-php", "cron-daily", "echo-2", "echo-3", "job", "true"]);
    const crons = result.pipelines.map((name) => result.file.pipelines[name]!.triggers[0]!.cron);
    assert.deepEqual(crons, ["*/5 * * * *", "0 3 * * 1-5", "30 2 1,15 * *", "0 0 * jan,jul sun", "15 14 1 * *", "0 */2 * * *", "0 9 * * MON-FRI", "@hourly", "@daily", "@annually", "@midnight", "1 1 1 1 1", "0 0 * * 7"]);
    const backup = result.file.pipelines["backup-sh"]!;
    assert.equal(backup.tasks["command"]!.run, "$HOME/bin/backup.sh --full > /dev/null 2>&1");
    assert.equal(backup.tasks["command"]!.cwd, HOME, "cron runs commands in the home folder");
    assert.equal(backup.tasks["command"]!.shell, undefined, "run: is sh -c already, as cron's /bin/sh -c");
    assert.equal(result.file.pipelines["echo"]!.tasks["command"]!.run, "echo    'spaces   kept'", "the command is kept as written");
    assert.equal(result.file.pipelines["job"]!.tasks["command"]!.run, "flock -n /tmp/lock /opt/job");
    assert.match(result.text, /^ {2}# line 3: 0 3 \* \* 1-5 \$HOME\/bin\/backup\.sh --full > \/dev\/null 2>&1$/m, "each pipeline says which line it came from");
    assert.deepEqual(result.notes, []);
  });

  test("cronie's N/S steps are written out as the range they mean", () => {
    const result = imported("5/10 * * * * a\n0 3/6 * * * b\n0 0 1/2 * * c\n0 0 * 2/3 * d\n0 0 * * 1/2 e\n");
    assert.deepEqual(
      result.pipelines.map((name) => result.file.pipelines[name]!.triggers[0]!.cron),
      ["5-59/10 * * * *", "0 3-23/6 * * *", "0 0 1-31/2 * *", "0 0 * 2-12/3 *", "0 0 * * 1-7/2"],
    );
  });

  test("names are readable, unique, and line-N when the command gives none", () => {
    assert.equal(nameOfCommand("/home/ada/bin/backup.sh --full"), "backup-sh");
    assert.equal(nameOfCommand("cd /srv && ./manage.py cleanup"), "manage-py");
    assert.equal(nameOfCommand("python3 -m http.server"), "http-server");
    assert.equal(nameOfCommand("sudo -u www-data php /var/www/artisan schedule:run"), "artisan");
    assert.equal(nameOfCommand("test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )"), "cron-daily");
    assert.equal(nameOfCommand("LANG=C /usr/bin/Daily_Report.PY"), "daily-report-py");
    assert.equal(nameOfCommand("echo 'a;b' > /tmp/x; sleep 3"), "echo");
    assert.equal(nameOfCommand("'$(weird)'"), "weird");
    assert.equal(nameOfCommand("éé"), "");
    const result = imported("* * * * * éé\n* * * * * éé\n* * * * * ./run.sh\n* * * * * ./run.sh\n");
    assert.deepEqual(result.pipelines, ["line-1", "line-2", "run-sh", "run-sh-2"]);
  });

  test("a comment right above a job is its description; the crontab's other comments and blank lines stay", () => {
    const result = imported("# My crontab\n# (edit with care)\n\n# Nightly backup\n0 3 * * * backup.sh\n\n# the header\n# m h dom mon dow command\n0 4 * * * other.sh\n# the end\n");
    assert.equal(result.file.pipelines["backup-sh"]!.description, "Nightly backup");
    assert.equal(result.file.pipelines["other-sh"]!.description, "other.sh", "a field header is no description: the command is");
    for (const comment of ["# My crontab", "# (edit with care)", "# the header", "# m h dom mon dow command", "# the end"]) assert.ok(result.text.includes(comment), comment);
    assert.ok(!result.text.includes("# Nightly backup"), "a description is not said twice");
  });
});

describe("settings (NAME=value lines)", () => {
  const crontab = [
    "PATH=/usr/local/bin:/usr/bin:/bin",
    'GREETING = "  hello  "',
    "0 1 * * * first.sh",
    "CRON_TZ=Europe/Berlin",
    "SHELL=/bin/bash",
    "HOME=/srv/ada",
    "MAILTO=ada@example.org",
    "TZ=Asia/Tokyo",
    "RANDOM_DELAY=7",
    "MAILFROM=cron@example.org",
    "PATH=$HOME/bin:$PATH",
    "0 2 * * * second.sh",
    "MAILTO=",
    "CRON_TZ=",
    "0 3 * * * third.sh",
  ].join("\n");

  test("apply to the jobs after them: env, timezone, shell, cwd, jitter", () => {
    const result = imported(crontab);
    const [first, second, third] = ["first-sh", "second-sh", "third-sh"].map((name) => result.file.pipelines[name]!);
    assert.deepEqual(first!.env, { PATH: "/usr/local/bin:/usr/bin:/bin", GREETING: "  hello  " }, "quotes keep blanks, as in cron");
    assert.equal(first!.triggers[0]!.timezone, undefined);
    assert.equal(first!.tasks["command"]!.cwd, HOME);
    assert.deepEqual(second!.triggers[0], { kind: "cron", cron: "0 2 * * *", timezone: "Europe/Berlin", jitter: 420_000 });
    assert.equal(second!.tasks["command"]!.shell, "/bin/bash");
    assert.equal(second!.tasks["command"]!.cwd, "/srv/ada", "HOME= is where cron ran the command");
    assert.deepEqual(second!.env, { PATH: "$HOME/bin:$PATH", GREETING: "  hello  ", HOME: "/srv/ada", TZ: "Asia/Tokyo" }, "cron expands nothing in a setting; mail settings are left out");
    assert.equal(third!.triggers[0]!.timezone, undefined, "an empty CRON_TZ is the system's zone again");
  });

  test("MAILTO becomes a commented-out notify: that validates once the # is off", () => {
    const result = imported(crontab);
    const mailed = result.text.split("\n  second-sh:")[1]!.split("\n  third-sh:")[0]!;
    assert.match(mailed, /# cron mailed this job's output to ada@example\.org \(MAILTO\)/);
    assert.ok(!result.text.split("\n  third-sh:")[1]!.includes("notify:"), "MAILTO= (empty) mails nothing: no example");
    const enabled = parseDefinitions(uncommented(result.text, /^\s*# (notify:| {2}- on:| {4}run: printf)/), "spire.yaml");
    assert.ok(enabled.ok, enabled.ok ? "" : formatDefinitionErrors(enabled.errors));
    assert.deepEqual(enabled.file.pipelines["second-sh"]!.notify.map((entry) => entry.on), [["failure"]]);
    assert.match(enabled.file.pipelines["second-sh"]!.notify[0]!.run!, /mail -s "\$SPIRE_NOTIFY_TEXT" 'ada@example\.org'$/);
  });

  test("each setting that Spire treats differently is said once, at its line", () => {
    const messages = imported(crontab).notes.map((note) => `${note.line}: ${note.message.split(/[;:] /)[0]}`);
    assert.deepEqual(messages, ["7: MAILTO", "8: TZ", "10: MAILFROM", "11: PATH"]);
  });
});

describe("cron's % rule", () => {
  // Each case as cronie's do_command.c reads it: the command, then the input it writes to the command.
  const cases: [string, string, string | undefined][] = [
    ["date +\\%F", "date +%F", undefined],
    ["cat%", "cat", undefined],
    ["cat%hello%world", "cat", "hello\nworld\n"],
    ["cat%line%", "cat", "line\n"],
    ["cat%%", "cat", "\n"],
    ["cat%a\\%b", "cat", "a%b\n"],
    ["cat%a\\\\%b", "cat", "a\\%b\n"],
    ["cat%a\\tb", "cat", "a\\tb\n"],
    ["cat%x\\", "cat", "x\\\n"],
    ["printf 'a\\tb' \\\\%in", "printf 'a\\tb' \\\\", "in\n"],
    ["mail -s \"50\\% off\" ada%Dear Ada,%%see you", 'mail -s "50% off" ada', "Dear Ada,\n\nsee you\n"],
  ];

  test("the command and its input are read as cron reads them", () => {
    for (const [written, command, stdin] of cases) {
      assert.deepEqual(splitPercent(written), stdin === undefined ? { command } : { command, stdin }, written);
    }
  });

  test("the here-document gives the command exactly cron's input, to every command of the line", () => {
    for (const stdin of ["hello\nworld\n", "\n", "a%b\n", "CRON_STDIN\nmore\n", "$HOME `x` \\n '\"\n", "x\\\n"]) {
      const run = withStdin("cat; cat", stdin);
      const shell = spawnSync("sh", ["-c", run], { encoding: "utf8" });
      assert.equal(shell.status, 0, shell.stderr);
      assert.equal(shell.stdout, stdin, JSON.stringify(stdin));
    }
    const shared = spawnSync("sh", ["-c", withStdin("read first; read second && echo \"$second/$first\"", "one\ntwo\n")], { encoding: "utf8" });
    assert.equal(shared.stdout, "two/one\n", "the whole line reads one input, as under cron's sh -c");
  });

  test("a job with input imports to a run: with a here-document, and a note", () => {
    const result = imported("0 9 * * 1 mail -s 'Weekly' ada%Water the plants%Feed the cat\n");
    assert.equal(result.file.pipelines["mail"]!.tasks["command"]!.run, "{\nmail -s 'Weekly' ada\n} <<'CRON_STDIN'\nWater the plants\nFeed the cat\nCRON_STDIN\n");
    assert.match(result.notes[0]!.message, /standard input \(cron's % rule\)/);
  });

  test("a line the rule leaves without a command is not imported, and says why", () => {
    const result = imported("0 9 * * * %only input\n0 9 * * * echo \\%ok\n");
    assert.deepEqual(result.pipelines, ["echo"]);
    assert.equal(result.notImported, 1);
    assert.match(result.text, /# line 1 was not imported: the command is empty before its first %/);
  });
});

describe("what has no equal", () => {
  test("@reboot: a pipeline without a trigger, and how to run it", () => {
    const result = imported("@reboot /home/ada/bin/tunnel.sh\n");
    assert.deepEqual(result.file.pipelines["tunnel-sh"]!.triggers, []);
    assert.match(result.text, /# @reboot: cron ran this once when the machine started/);
    assert.match(result.notes[0]!.message, /spire run NAME/);
  });

  test("a switched-off job is a commented-out pipeline that validates once the # is off", () => {
    const result = imported("MAILTO=ada@example.org\n0 1 * * * first.sh\n# 0 * * * * $HOME/bin/old-job.sh --all\n#15 2 * * * second.sh\n# just a remark\n");
    assert.deepEqual(result.pipelines, ["first-sh"]);
    assert.equal(result.disabled, 2);
    const on = parseDefinitions(switchedOn(result.text), "spire.yaml");
    assert.ok(on.ok, on.ok ? "" : `${formatDefinitionErrors(on.errors)}\n${switchedOn(result.text)}`);
    assert.deepEqual(Object.keys(on.file.pipelines), ["first-sh", "old-job-sh", "second-sh"]);
    assert.equal(on.file.pipelines["second-sh"]!.triggers[0]!.cron, "15 2 * * *");
    assert.match(result.text, /# just a remark/);
  });

  test("the example job in the header crontab -e writes (Debian, Ubuntu) stays a comment; a job switched off after it does not", () => {
    const header = [
      "# Edit this file to introduce tasks to be run by cron.",
      "# For example, you can run a backup of all your user accounts",
      "# at 5 a.m every week with:",
      "# 0 5 * * 1 tar -zcf /var/backups/home.tgz /home/",
      "#",
      "# m h  dom mon dow   command",
      "# 0 6 * * * $HOME/bin/paused.sh",
      "30 2 * * * $HOME/bin/backup.sh",
    ].join("\n");
    const result = imported(header);
    assert.deepEqual(result.pipelines, ["backup-sh"]);
    assert.equal(result.disabled, 1);
    assert.match(result.text, /^ {2}# 0 5 \* \* 1 tar -zcf \/var\/backups\/home\.tgz \/home\/$/m);
    assert.match(result.text, /^ {2}# line 7, switched off in the crontab: 0 6 \* \* \* \$HOME\/bin\/paused\.sh$/m);
  });

  test("lines cron would refuse, or Spire cannot schedule, are kept as comments with the reason; the rest still imports", () => {
    const result = imported(["0 0 31 2 * never.sh", "61 * * * * late.sh", "* * * *", "@often x", "0 0 * * * ok.sh", "0 0 * * * echo ${{ args.x }}"].join("\n"));
    assert.deepEqual(result.pipelines, ["ok-sh"]);
    assert.equal(result.notImported, 5);
    assert.deepEqual(result.notes.map((note) => note.line), [1, 2, 3, 4, 6]);
    assert.match(result.text, /# line 1 was not imported: cron "0 0 31 2 \*": never matches a date/);
    assert.match(result.text, /# line 2 was not imported: cron "61 \* \* \* \*": minute field "61"/);
    assert.match(result.text, /# line 4 was not imported: @often is not a schedule cron knows/);
    assert.match(result.text, /# line 6 was not imported: tasks\.command\.run: /);
  });

  test("control characters in a comment cannot end it early", () => {
    const result = imported("# a\rb\u001bc\n\n0 0 * * * ok.sh # x\u0007y\n");
    assert.match(result.text, /^ {2}# a\\x0db\\x1bc$/m);
    assert.match(result.text, /^ {2}# line 3: 0 0 \* \* \* ok\.sh # x\\x07y$/m);
    assert.equal(result.file.pipelines["ok-sh"]!.tasks["command"]!.run, "ok.sh # x\u0007y", "the command itself is kept as it is");
  });
});

describe("system crontabs (/etc/crontab, /etc/cron.d)", () => {
  const etc = [
    "SHELL=/bin/sh",
    "PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin",
    "17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly",
    "25 6\t* * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }",
    "*/10 * * * * www-data php /var/www/cron.php",
  ].join("\n");

  test("are told from their content, and each job notes the user cron ran it as", () => {
    assert.equal(looksLikeSystemCrontab(etc), true);
    assert.equal(looksLikeSystemCrontab("0 3 * * * backup.sh\n*/5 * * * * check.sh --quiet\n"), false);
    assert.equal(looksLikeSystemCrontab("0 3 * * * root-cleanup.sh\n"), false);
    const result = imported(etc);
    assert.equal(result.system, true);
    assert.deepEqual(result.pipelines, ["cron-hourly", "cron-daily", "cron-php"]);
    assert.equal(result.file.pipelines["cron-hourly"]!.tasks["command"]!.run, "cd / && run-parts --report /etc/cron.hourly");
    assert.equal(result.file.pipelines["cron-php"]!.tasks["command"]!.run, "php /var/www/cron.php");
    assert.match(result.text, /# cron ran this as www-data; Spire runs it as the user who runs the engine/);
    assert.equal(result.notes.filter((note) => /cron ran this as/.test(note.message)).length, 3);
  });

  test("--no-system reads the same lines as a user's crontab", () => {
    const result = imported(etc, { system: false });
    assert.equal(result.system, false);
    assert.equal(result.file.pipelines["www-data"]!.tasks["command"]!.run, "www-data php /var/www/cron.php");
  });
});
