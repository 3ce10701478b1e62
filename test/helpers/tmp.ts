/**
 * Temporary folders for tests. Removed after the test; set SPIRE_KEEP_TEST_DIRS=1
 * to keep them (their paths are printed) when inspecting a failure.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";

export function tempDir(t: TestContext, prefix = "spire-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => {
    if (process.env.SPIRE_KEEP_TEST_DIRS) console.error(`kept for inspection: ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
