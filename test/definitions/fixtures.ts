/** Where the fixture files are, from the compiled test (dist/test/definitions/) or the source tree. */
import { fileURLToPath } from "node:url";

export const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
