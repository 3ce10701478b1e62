/**
 * A package loaded at its first use rather than with the module that uses
 * it. V8 keeps every loaded module's source for the life of the process, so
 * a package the engine needs only for some requests or errors costs its
 * memory at rest and its compile time at every start if loaded up front.
 * Such packages stay out of the bundles (scripts/bundle.js) and are read
 * synchronously here, where they are first needed.
 */
import { createRequire } from "node:module";

const requireFromHere = createRequire(import.meta.url);

/** A function that loads `specifier` the first time it is called, and hands back the same module after. */
export function atFirstUse<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireFromHere(specifier) as T);
}
