/**
 * The shared secret of prunner's API: HS256 over the secret's text, as
 * prunner signs. PRUNNER_JWT_SECRET when set (prunner's own variable, at
 * least 16 characters, as prunner asks); else `<data>/prunner.yml`, made at
 * the first use in prunner's own config format (`jwt_secret: …`, mode 0600),
 * so Flowpack.Prunner's `configFile` setting can point at it unchanged.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { yamlLibrary } from "../../definitions/yaml-library.js";
import { makePrivateDir, PRIVATE_FILE_MODE } from "../../files/private.js";
import { assertPrivateFile } from "../secret.js";
import { DataFileError } from "../../files/data-file-error.js";

export const PRUNNER_SECRET_ENV = "PRUNNER_JWT_SECRET";
export const PRUNNER_SECRET_FILE = "prunner.yml";
/** prunner refuses shorter secrets; so does Spire. */
const MIN_SECRET_LENGTH = 16;

export interface PrunnerSecret {
  key: Uint8Array;
  /** Where it came from, for messages (never the secret itself). */
  from: string;
}

/** A problem with the secret that the user must fix: said as is, without a stack. */
export class PrunnerSecretError extends Error {}

export async function loadPrunnerSecret(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<PrunnerSecret> {
  const given = env[PRUNNER_SECRET_ENV];
  if (given !== undefined && given !== "") return { key: checked(given, `$${PRUNNER_SECRET_ENV}`), from: `$${PRUNNER_SECRET_ENV}` };
  const file = join(dataDir, PRUNNER_SECRET_FILE);
  await makePrivateDir(dataDir);
  try {
    // "wx": two processes making it at once end with one secret; the loser reads the winner's.
    await writeFile(file, yamlLibrary().stringify({ jwt_secret: randomBytes(24).toString("base64url") }), { mode: PRIVATE_FILE_MODE, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  try {
    await assertPrivateFile(file);
  } catch (error) {
    throw new PrunnerSecretError(error instanceof DataFileError ? `${error.message}. ${error.hint}` : (error as Error).message);
  }
  const text = await readFile(file, "utf8");
  let secret: unknown;
  try {
    secret = (yamlLibrary().parse(text) as { jwt_secret?: unknown } | null)?.jwt_secret;
  } catch {
    secret = undefined;
  }
  if (typeof secret !== "string") throw new PrunnerSecretError(`${file} has no jwt_secret: write one (jwt_secret: TEXT of at least ${MIN_SECRET_LENGTH} characters), or delete the file to have one made`);
  return { key: checked(secret, file), from: file };
}

function checked(secret: string, from: string): Uint8Array {
  if (secret.length < MIN_SECRET_LENGTH) throw new PrunnerSecretError(`the prunner secret in ${from} has ${secret.length} characters: it needs at least ${MIN_SECRET_LENGTH}, as in prunner`);
  return new TextEncoder().encode(secret);
}
