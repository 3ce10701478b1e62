/** docs/guides/failures.md, followed as a person would: it says only what is so. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the failures guide: retries with backoff, allow_failure, on_fail and on_done, warnings and errors in spire show, logs by attempt and stream, spire retry (--from), fail_fast, exit codes 2, 3 and 130", async (t) => {
  await runGuide(t, "docs/guides/failures.md");
});
