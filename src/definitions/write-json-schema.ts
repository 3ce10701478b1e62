/**
 * Writes schema/spire.schema.json (run by `npm run build`). The file is
 * committed so editors find it without a build; a test checks it is current.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { jsonSchemaText } from "./json-schema.js";
import { packageFile } from "../files/package-root.js";

/** dist/src/definitions/ → the repository's schema/ folder. */
export const JSON_SCHEMA_PATH = packageFile("schema", "spire.schema.json");

function main(): void {
  mkdirSync(dirname(JSON_SCHEMA_PATH), { recursive: true });
  writeFileSync(JSON_SCHEMA_PATH, jsonSchemaText());
  console.log(`wrote ${JSON_SCHEMA_PATH}`);
}

main();
