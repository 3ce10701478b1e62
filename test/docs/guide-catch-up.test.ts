/** docs/guides/catch-up.md, followed as a person would: it says only what is so. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the catch-up guide: an engine stopped and started again runs none, the latest or all (up to catchup_limit) of the missed slots, records the rest, and a pause is recorded, not caught up", async (t) => {
  await runGuide(t, "docs/guides/catch-up.md");
});
