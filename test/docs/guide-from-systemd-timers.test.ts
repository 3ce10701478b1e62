/**
 * docs/guides/from-systemd-timers.md: the guide as a person follows it, and its
 * table of OnCalendar= expressions checked row by row against systemd itself:
 * each Spire form's next times (spire next) are the ones systemd-analyze
 * calendar gives for the expression, from the same moment.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { REPO_ROOT, spire } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

const GUIDE = "docs/guides/from-systemd-timers.md";
/** A Monday that is not the first of a month, so that weekly, monthly and weekday rows all start somewhere ordinary. */
const FROM = "2027-03-08T10:07:00Z";

test("the systemd timers guide does what it says", async (t) => {
  await runGuide(t, GUIDE);
});

interface Row {
  onCalendar: string;
  triggers: string[];
}

/** The rows of the guide's table whose first column is an `OnCalendar=` expression and whose second holds `{ … }` triggers. */
function calendarRows(markdown: string): Row[] {
  const start = markdown.indexOf("| systemd `OnCalendar=` |");
  assert.ok(start >= 0, "the guide has its OnCalendar= table");
  const rows: Row[] = [];
  for (const line of markdown.slice(start).split("\n").slice(2)) {
    if (!line.startsWith("|")) break;
    const [calendar, spireCell] = line.split(" | ").map((cell) => cell.replace(/^\| /, ""));
    const row = { onCalendar: /^`(.+)`$/.exec(calendar!)?.[1] ?? "", triggers: [...spireCell!.matchAll(/`(\{[^`]+\})`/g)].map((match) => match[1]!) };
    assert.ok(row.onCalendar !== "" && row.triggers.length > 0, `a row with an expression and at least one trigger: ${line}`);
    rows.push(row);
  }
  return rows;
}

async function systemdTimes(expression: string): Promise<string[]> {
  const base = FROM.replace("T", " ").replace("Z", " UTC");
  const { stdout } = await promisify(execFile)("systemd-analyze", ["calendar", "--iterations=3", `--base-time=${base}`, expression], { env: { ...process.env, TZ: "UTC" } });
  return [...stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) UTC/g)].map((match) => `${match[1]}T${match[2]}+00:00`);
}

test("every OnCalendar= row of the guide fires when systemd would", async (t) => {
  const rows = calendarRows(readFileSync(join(REPO_ROOT, GUIDE), "utf8"));
  assert.ok(rows.length >= 15, `found ${rows.length} rows`);
  const dir = tempDir(t);
  const data = join(dir, "data");
  const checks = rows.flatMap((row) => row.triggers.map((trigger) => ({ row, trigger })));
  const file = join(dir, "spire.yaml");
  // One pipeline per form, each asked with spire next -f: the same path as a person's file.
  writeFileSync(file, `pipelines:\n${checks.map(({ trigger }, index) => `  p${index}: { triggers: [ ${trigger} ], tasks: { t: { run: "true" } } }`).join("\n")}\n`);
  const problems: string[] = [];
  const check = async (index: number) => {
    const { row, trigger } = checks[index]!;
    const expected = await systemdTimes(row.onCalendar);
    assert.equal(expected.length, 3, `systemd-analyze read ${row.onCalendar}`);
    const result = await spire(["next", `p${index}`, "-f", file, "--from", FROM, "-n", "3", "--json"], { data, env: { TZ: "UTC" } });
    assert.equal(result.code, 0, result.stderr);
    const got = (JSON.parse(result.stdout) as { next: string[] }).next;
    if (JSON.stringify(got) !== JSON.stringify(expected)) problems.push(`OnCalendar=${row.onCalendar} → ${trigger}: spire ${got.join(", ")}; systemd ${expected.join(", ")}`);
  };
  // Two at a time: one spire process per form is most of this test's time.
  let next = 0;
  const worker = async () => {
    while (next < checks.length) await check(next++);
  };
  await Promise.all([worker(), worker()]);
  assert.deepEqual(problems, []);
});
