/**
 * Writes the reference manual (`npm run docs`): docs/reference/*.md and
 * man/spire.1, from the schema, the commands and the routes. The files are
 * committed, so that they can be read without a build.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { REFERENCE_FILES } from "./reference-files.js";
import { PACKAGE_ROOT } from "../files/package-root.js";

/** dist/src/docs/ → the repository's root. */
export const REPO_ROOT = `${PACKAGE_ROOT}/`;

for (const file of REFERENCE_FILES) {
  const path = join(REPO_ROOT, file.path);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, file.generate());
  console.log(`wrote ${file.path}`);
}
