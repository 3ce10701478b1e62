/** docs/guides/from-gator.md: a Gator job file validated, run unchanged, converted, then scheduled and notified on an engine, as the guide shows it. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the gator guide does what it says", async (t) => {
  await runGuide(t, "docs/guides/from-gator.md");
});
