/** docs/guides/workers.md: an engine and a worker on one machine, a worker token, runs_on routing, spire workers, logs and artifacts across machines, and the plain-http refusal, as the guide shows them. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the workers guide does what it says", async (t) => {
  await runGuide(t, "docs/guides/workers.md");
});
