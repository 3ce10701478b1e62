/**
 * import() of an ES module by its URL: a config file's compiled code (definitions/script/evaluate.ts).
 *
 * The command's CommonJS bundle (scripts/bundle.js, for bin/cached-cli.js) turns every other import() into
 * require(), all of them Node's modules or CommonJS packages: from a script compiled with a V8 code cache, Node 20
 * has no working import() (it throws ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING in functions the cache brought back).
 * There this module is replaced by one that calls the loader's own import(), in an ES module.
 */
export function importEsm(url: string): Promise<unknown> {
  return import(url);
}
