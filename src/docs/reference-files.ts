/**
 * The generated reference files, each with the function that writes its
 * text: `npm run docs` writes them, and a test fails when one committed
 * differs from what its source now generates.
 */
import { buildProgram } from "../cli/main.js";
import { apiReference } from "./api-reference.js";
import { cliReference } from "./cli-reference.js";
import { definitionsReference } from "./definitions-reference.js";
import { manPage } from "./man-page.js";

export interface ReferenceFile {
  /** Relative to the repository's root. */
  path: string;
  generate(): string;
}

export const REFERENCE_FILES: readonly ReferenceFile[] = [
  { path: "docs/reference/definitions.md", generate: definitionsReference },
  { path: "docs/reference/cli.md", generate: () => cliReference(buildProgram()) },
  { path: "docs/reference/api.md", generate: apiReference },
  { path: "man/spire.1", generate: () => manPage(buildProgram()) },
];
