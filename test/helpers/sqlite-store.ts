/** A SQLite store for a test, as the engine opens it: `spire.db` in `dir`, ready, and closed after the test. */
import { join } from "node:path";
import type { TestContext } from "node:test";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import type { Store } from "../../src/store/port.js";

export async function openTestStore(t: TestContext, dir: string): Promise<Store> {
  const store = openSqliteStore(join(dir, "spire.db"));
  await store.init();
  t.after(() => store.close());
  return store;
}
