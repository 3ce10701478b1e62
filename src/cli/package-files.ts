/**
 * Files that ship in the package beside dist/ (package.json `files`): the
 * JSON Schema of spire.yaml and the templates of `spire init`.
 */
import { pathToFileURL } from "node:url";
import { packageFile, SCHEMA_FILE } from "../files/package-root.js";

export const TEMPLATES_DIR = `${packageFile("templates")}/`;

/**
 * Where editors find the schema (the YAML language server's schema line): the installed
 * package's schema as an absolute file:// URL. It describes exactly this
 * version, works offline and from any folder; it goes stale only when the
 * package moves (a reinstall elsewhere), and then only editor help is lost.
 */
export function schemaUrl(): string {
  return pathToFileURL(SCHEMA_FILE).href;
}
