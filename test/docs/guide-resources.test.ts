/** docs/guides/resources.md, followed as a person would: it says only what is so. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the resources guide: memory and cpu-time limits, timeouts with kill_grace, reservations against an engine's --cpus and --memory, a task too big, --max-tasks", async (t) => {
  await runGuide(t, "docs/guides/resources.md");
});
