/** docs/guides/first-pipeline.md, followed as a person would: it says only what is so. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the first-pipeline guide: validate, run, show, logs, a failure, arguments, the engine and a schedule", async (t) => {
  await runGuide(t, "docs/guides/first-pipeline.md");
});
