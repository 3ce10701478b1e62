/**
 * The engine's signing secret and other private files of the data folder.
 * Anyone who can read the secret can mint admin tokens, so a secret file that
 * group or others can read is refused rather than silently used.
 */
import { randomBytes } from "node:crypto";
import { link, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makePrivateDir, PRIVATE_FILE_MODE } from "../files/private.js";
import { DataFileError } from "../files/data-file-error.js";

const SECRET_BYTES = 32;

/** Refuses a private file whose mode lets group or others read or write it. */
export async function assertPrivateFile(file: string): Promise<void> {
  const info = await stat(file);
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(3, "0");
    throw new DataFileError(file, `${file} has mode ${mode}: group or others can read it`, `Run chmod 600 ${file} (or delete it to have a new one made).`);
  }
}

/**
 * Reads `<dataDir>/secret`, or makes one (32 random bytes, mode 0600).
 * Creation goes through a temporary file and link(2), which fails if the file
 * exists: two engines starting at once end up with the same secret and
 * neither ever reads a half-written one.
 */
export async function loadOrCreateSecret(dataDir: string): Promise<Uint8Array> {
  await makePrivateDir(dataDir);
  const file = join(dataDir, "secret");
  try {
    return await readSecret(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temp, randomBytes(SECRET_BYTES), { mode: PRIVATE_FILE_MODE, flag: "wx" });
  try {
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    await unlink(temp);
  }
  return readSecret(file);
}

async function readSecret(file: string): Promise<Uint8Array> {
  await assertPrivateFile(file);
  const bytes = await readFile(file);
  if (bytes.length !== SECRET_BYTES) {
    throw new DataFileError(
      file,
      `the engine's secret ${file} is damaged: it holds ${bytes.length} bytes, not ${SECRET_BYTES}`,
      "Delete it, and Spire makes a new one: the tokens made with the old one (SPIRE_TOKEN values, workers' tokens) stop working; make them again with spire token create. Engines sharing a PostgreSQL store sign with one secret: copy the others' secret file here instead (mode 0600).",
    );
  }
  return new Uint8Array(bytes);
}
