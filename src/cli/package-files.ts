/**
 * Files that ship in the package beside dist/ (package.json `files`): the
 * JSON Schema of spire.yaml and the templates of `spire init`.
 */
import { fileURLToPath, pathToFileURL } from "node:url";

/** dist/src/cli/ → the package's own folder. */
const PACKAGE_ROOT = new URL("../../../", import.meta.url);

export const SCHEMA_FILE = fileURLToPath(new URL("schema/spire.schema.json", PACKAGE_ROOT));
export const TEMPLATES_DIR = fileURLToPath(new URL("templates/", PACKAGE_ROOT));

/**
 * Where editors find the schema (the YAML language server's schema line): the installed
 * package's schema as an absolute file:// URL. It describes exactly this
 * version, works offline and from any folder; it goes stale only when the
 * package moves (a reinstall elsewhere), and then only editor help is lost.
 */
export function schemaUrl(): string {
  return pathToFileURL(SCHEMA_FILE).href;
}
