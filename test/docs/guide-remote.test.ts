/** docs/guides/remote.md: loopback by default, a tunnel's client side with SPIRE_ENGINE and SPIRE_TOKEN, --allow-host refusing and then admitting a name, scoped tokens and revoking, as the guide shows them. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the remote guide does what it says", async (t) => {
  await runGuide(t, "docs/guides/remote.md");
});
