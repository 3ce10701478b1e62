/**
 * A real small file system to fill: a tmpfs of a few MiB mounted on a fresh
 * folder (root only; a test without it is skipped, saying why), unmounted
 * after the test.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";

/** The mount point of a new tmpfs of `sizeMiB`, or undefined (and the test skipped) when mounting is not allowed here. */
export function smallDisk(t: TestContext, sizeMiB: number): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), "spire-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMiB}m,mode=0700`, "tmpfs", dir], { stdio: "pipe" });
  } catch (error) {
    rmdirSync(dir);
    t.skip(`needs a tmpfs to fill (mount as root): ${(error as Error).message.split("\n")[0]}`);
    return undefined;
  }
  // Its content goes with it; SPIRE_KEEP_TEST_DIRS does not apply (it is memory).
  t.after(() => {
    execFileSync("umount", ["-l", dir], { stdio: "pipe" });
    rmdirSync(dir);
  });
  return dir;
}

/** Fills the disk under `dir` to the last byte; returns a function that frees it again. */
export function fillDisk(dir: string): () => void {
  const file = join(dir, "filler");
  const fd = openSync(file, "w");
  const block = Buffer.alloc(64 * 1024);
  try {
    for (let size = block.length; size >= 1; ) {
      try {
        writeSync(fd, block, 0, size);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
        size = Math.floor(size / 2); // the last pages, down to the last byte
      }
    }
  } finally {
    closeSync(fd);
  }
  return () => rmSync(file, { force: true });
}
