/** docs/guides/postgres.md: two engines on the local PostgreSQL, one secret, who leads, and the hand-over when the leader stops, as the guide shows them. */
import { test } from "node:test";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { runGuide } from "../helpers/guide.js";
import { adminPool } from "../helpers/postgres.js";

checkNoLeftoverProcesses();

test("the PostgreSQL guide does what it says", async (t) => {
  // The guide's schema, as a reader starting from nothing has it: none.
  const pool = await adminPool();
  await pool.query("DROP SCHEMA IF EXISTS spire_guide CASCADE");
  t.after(() => pool.query("DROP SCHEMA IF EXISTS spire_guide CASCADE"));
  await runGuide(t, "docs/guides/postgres.md");
});
