/**
 * The native addon (native/: posix_spawn, pipe reading, folder batches), an
 * N-API module built at install. Loaded once, by whichever part asks first;
 * where it was not built or does not load, each part says why and does
 * without it (Node's spawn, net.Socket, node:fs).
 */
import { createRequire } from "node:module";
import { packageFile } from "../files/package-root.js";

/** Where native/build.js leaves the addon (found from the package's folder: this module may run from a bundle). */
export const ADDON_PATH = packageFile("native", "build", "Release", "spire_spawn.node");

let loaded: { addon: unknown } | { why: string } | undefined;

/** The addon's exports, or why there are none here; the caller checks for what it needs (an older build may lack it). */
export function loadAddon(): { addon: unknown } | { why: string } {
  return (loaded ??= tryLoad());
}

function tryLoad(): { addon: unknown } | { why: string } {
  try {
    return { addon: createRequire(import.meta.url)(ADDON_PATH) as unknown };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "MODULE_NOT_FOUND") return { why: `${ADDON_PATH} was not built (npm run build builds it where a C compiler is; its output says why not)` };
    return { why: `${ADDON_PATH} does not load: ${(error as Error).message.split("\n")[0]}` };
  }
}
