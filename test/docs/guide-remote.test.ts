/** docs/guides/remote.md: loopback by default, a tunnel's client side with SPIRE_ENGINE and SPIRE_TOKEN, --allow-host refusing and then admitting a name, scoped tokens and revoking, https with a self-signed certificate trusted through NODE_EXTRA_CA_CERTS, as the guide shows them. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the remote guide does what it says", async (t) => {
  await runGuide(t, "docs/guides/remote.md");
});
