/**
 * Where the package's own files are: dist/ (tsc's output and the bundles of
 * the CLI and the supervisor), ui, schema, templates. Code runs both from
 * dist/src (tests, `import … from "spire"`) and from the bundles in
 * dist/bundle, which put modules in other folders than the sources, so a
 * path is never taken relative to the module that asks: it is found from the
 * package's folder, the first one above this module with a package.json.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function packageRootAbove(file: string): string {
  let dir = dirname(file);
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`spire: no package.json above ${file}: reinstall spire`);
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = packageRootAbove(fileURLToPath(import.meta.url));

/** A file of the package, by its path from the package's folder (such as dist/src/exec/supervisor/main.js). */
export function packageFile(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}

/** The JSON Schema of spire.yaml: written by the build, read by editors through `spire init`'s schema line. */
export const SCHEMA_FILE = packageFile("schema", "spire.schema.json");
