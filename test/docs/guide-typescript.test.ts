/** docs/guides/typescript.md: a spire.config.ts validated and run, its mistakes placed, the typed client and startEngine, as the guide shows them. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the TypeScript guide does what it says", async (t) => {
  await runGuide(t, "docs/guides/typescript.md");
});
