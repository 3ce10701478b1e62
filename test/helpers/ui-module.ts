/**
 * A module of the web UI's source, loaded in a test: the UI is compiled for
 * the browser, not by the test build, so the file goes through Vite's own
 * TypeScript transform. `T` is the module's shape, written again in the
 * test: importing even its types would make the test build emit the UI
 * file into dist/ui.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { transformWithOxc } from "vite";

/** `path`: under ui/src, such as `logs/ansi.ts`. The module may import types only. */
export async function loadUiModule<T>(path: string): Promise<T> {
  const source = fileURLToPath(new URL(`../../../ui/src/${path}`, import.meta.url));
  const { code } = await transformWithOxc(readFileSync(source, "utf8"), source, { lang: "ts" });
  const dir = mkdtempSync(join(tmpdir(), "spire-ui-module-"));
  const file = join(dir, "module.mjs");
  writeFileSync(file, code);
  try {
    return (await import(pathToFileURL(file).href)) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
