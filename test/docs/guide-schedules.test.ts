/** docs/guides/schedules.md, followed as a person would: it says only what is so. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the schedules guide: cron fields and nicknames, time zones, DST changes marked by spire next, start/end/jitter, slots seen firing", async (t) => {
  await runGuide(t, "docs/guides/schedules.md");
});
