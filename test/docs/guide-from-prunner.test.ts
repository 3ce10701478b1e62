/** docs/guides/from-prunner.md: a prunner pipelines.yml validated, run unchanged, converted, then scheduled and notified on an engine, as the guide shows it. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the prunner guide does what it says", async (t) => {
  await runGuide(t, "docs/guides/from-prunner.md");
});
