/** docs/guides/api.md: a token, curl, a run started, followed and read, the webhook, paging, errors and the OpenAPI document, as the guide shows them. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the API guide does what it says", async (t) => {
  await runGuide(t, "docs/guides/api.md");
});
