/** docs/guides/mcp.md: a token for an assistant, and the engine's /mcp called as the guide shows, its scope holding. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the MCP guide does what it says", async (t) => {
  await runGuide(t, "docs/guides/mcp.md");
});
