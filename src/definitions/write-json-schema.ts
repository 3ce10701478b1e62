/**
 * Writes schema/spire.schema.json (run by `npm run build`). The file is
 * committed so editors find it without a build; a test checks it is current.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { jsonSchemaText } from "./json-schema.js";
import { SCHEMA_FILE } from "../files/package-root.js";

function main(): void {
  mkdirSync(dirname(SCHEMA_FILE), { recursive: true });
  writeFileSync(SCHEMA_FILE, jsonSchemaText());
  console.log(`wrote ${SCHEMA_FILE}`);
}

main();
