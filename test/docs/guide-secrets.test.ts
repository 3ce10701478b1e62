/** docs/guides/secrets.md, followed as a person would: it says only what is so. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the secrets guide: env_file, secrets from the environment and a secret argument masked in logs and show, never in the data folder, file modes, a token created, used and revoked", async (t) => {
  await runGuide(t, "docs/guides/secrets.md");
});
