/**
 * Temporary folders for tests. Removed after the test; set SPIRE_KEEP_TEST_DIRS=1
 * to keep them (their paths are printed) when inspecting a failure.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";

/** A new folder, and what removes it (for a harness that must stop what writes there first). */
export function makeTempDir(prefix = "spire-test-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    remove() {
      if (process.env.SPIRE_KEEP_TEST_DIRS) console.error(`kept for inspection: ${dir}`);
      else removeNowOrAtExit(dir);
    },
  };
}

const leftOver = new Set<string>();

/**
 * After-hooks run in the order they were added, so something a test started
 * after making its folder (an engine drained by a later hook) may still be
 * writing there: a file made while the folder is emptied is removed on a
 * retry, and a folder still written to after those is removed when the test
 * file's process exits, rather than failing a test that passed.
 */
function removeNowOrAtExit(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  } catch {
    if (leftOver.size === 0) process.once("exit", () => leftOver.forEach((left) => rmSync(left, { recursive: true, force: true })));
    leftOver.add(dir);
  }
}

export function tempDir(t: TestContext, prefix = "spire-test-"): string {
  const { dir, remove } = makeTempDir(prefix);
  t.after(remove);
  return dir;
}
