/** docs/guides/notifications.md, followed as a person would: it says only what is so. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the notifications guide: a webhook receiver and an MQTT subscriber get the failure with secrets masked, recovered, run commands, and a delivery that fails is said on stderr", async (t) => {
  await runGuide(t, "docs/guides/notifications.md");
});
