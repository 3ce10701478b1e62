/** Files and folders Spire writes for a service: private to the user (0600 / 0700), written whole or not at all. */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";

/** Creates `dir` and its missing parents with mode 0700; folders that exist keep their mode (they are not Spire's). */
export function ensurePrivateDir(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  // mkdir's mode passes through the umask; set it on each folder made here, and only those.
  let made = first;
  chmodSync(made, 0o700);
  for (const part of relative(first, dir).split(sep).filter(Boolean)) chmodSync((made = join(made, part)), 0o700);
}

/** Writes `file` (mode 0600) through a temporary file beside it, so a reader never sees half of it. */
export function writePrivateFile(file: string, text: string): void {
  ensurePrivateDir(dirname(file));
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}

export function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
