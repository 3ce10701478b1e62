/**
 * Opening a file a task made, to read it. A FIFO there would hold the
 * thread that opens it until a writer comes (for good, once the task has
 * ended), and a device's read might never end: the file is opened without
 * waiting (O_NONBLOCK, which a regular file's reads ignore), looked at on
 * the open file, and kept only if it is a regular file. Checked on the
 * open file, it cannot be swapped for another between the look and the read.
 */
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { fsErrorWords } from "./fs-error-words.js";

/**
 * open()'s flags for reading a file a task could have made a FIFO: the open
 * does not wait for a writer (a read then finds it empty, or fails while one
 * writes); a regular file's reads ignore O_NONBLOCK.
 */
export const READ_WITHOUT_WAITING = constants.O_RDONLY | constants.O_NONBLOCK;

/** The file at `path`, opened for reading if it is a regular file (a FIFO is opened without waiting for a writer), or why not; undefined when gone. */
export async function openRegular(path: string): Promise<{ handle: FileHandle; size: number } | { why: string } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, READ_WITHOUT_WAITING | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    // O_NOFOLLOW: the name became a symbolic link since it was looked at.
    return { why: code === "ELOOP" ? "it is a symbolic link now" : `it could not be read: ${fsErrorWords(code)}` };
  }
  const info = await handle.stat().catch(() => undefined);
  if (info?.isFile()) return { handle, size: info.size };
  await handle.close();
  // A FIFO's read would wait for a writer for ever; a device's might never end.
  return info === undefined ? undefined : { why: "not a regular file" };
}

/**
 * A name as the glob gave it, once it was not found: a name that is not
 * UTF-8 is given with U+FFFD in place of its bad bytes, and no file has that
 * name. Why such a file is not kept; undefined when it was simply gone.
 */
export function whyNotFound(name: string): string | undefined {
  return name.includes("\uFFFD") ? "its name is not valid UTF-8, which Spire cannot keep" : undefined;
}
