/** docs/guides/queues.md, followed as a person would: it says only what is so. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the queues guide: limit 0 refuses, replace and preempt, partitions, a lock shared across pipelines, debounce, a task's parallel copies", async (t) => {
  await runGuide(t, "docs/guides/queues.md");
});
