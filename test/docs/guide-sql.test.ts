/** docs/guides/sql.md, followed as a person would: it says only what is so. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";

checkNoLeftoverProcesses();

test("the sql guide: SQLite statements from a file and a query, parameters as data, a preview, outputs, a rollback, a timeout", async (t) => {
  await runGuide(t, "docs/guides/sql.md");
});
