/**
 * systemZone(): the zone of triggers without `timezone`. A UTC machine is
 * recognised from TZ or /etc/localtime without Intl (whose time zone data
 * costs an idle engine ~7 MB); any other zone is Intl's answer.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ZONE_MODULE = fileURLToPath(new URL("../../src/time/zone.js", import.meta.url));

/** systemZone() in a fresh node with TZ set (or removed), and whether it used Intl to answer. */
function systemZoneWith(tz: string | undefined): { zone: string; intl: boolean } {
  const env = { ...process.env };
  if (tz === undefined) delete env.TZ;
  else env.TZ = tz;
  const script = `
    let intl = false;
    const Original = Intl.DateTimeFormat;
    Intl.DateTimeFormat = function (...args) { intl = true; return new Original(...args); };
    const { systemZone } = await import(${JSON.stringify(ZONE_MODULE)});
    console.log(JSON.stringify({ zone: systemZone(), intl }));`;
  return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { env, encoding: "utf8" })) as { zone: string; intl: boolean };
}

test("TZ naming UTC in any of its spellings is UTC, without Intl", () => {
  for (const tz of ["UTC", "Etc/UTC", ":UTC", "Universal", "Zulu"]) assert.deepEqual(systemZoneWith(tz), { zone: "UTC", intl: false }, tz);
});

test("TZ naming another zone is Intl's name for it", () => {
  assert.deepEqual(systemZoneWith("Europe/Berlin"), { zone: "Europe/Berlin", intl: true });
  // POSIX TZ strings are Intl's business too: no guess here.
  assert.equal(systemZoneWith("EST5EDT").intl, true);
});

test("without TZ, /etc/localtime decides", (t) => {
  let target: string;
  try {
    target = readlinkSync("/etc/localtime");
  } catch {
    t.skip("this machine has no /etc/localtime link: systemZone() asks Intl, covered above");
    return;
  }
  const utc = /zoneinfo\/(Etc\/)?(UTC|UCT|Universal|Zulu)$/.test(target);
  const expected = new Intl.DateTimeFormat().resolvedOptions().timeZone;
  const answer = systemZoneWith(undefined);
  assert.equal(answer.intl, !utc, `/etc/localtime -> ${target}`);
  assert.equal(answer.zone, utc ? "UTC" : expected);
});
