/**
 * The command line a service runs: this very `spire` (the node that runs it,
 * with the flags of its script's shebang, and the script's real path), as
 * `spire engine` with the user's data folder and options. Pure: the caller
 * says where node and the script are (see this-spire.ts).
 */

/** The `spire` program that is asked to install the service. */
export interface SpireProgram {
  /** Absolute path of node (process.execPath). */
  node: string;
  /** Node flags that bin/spire.js's shebang passes (`--v8-pool-size=1`): the unit must run node as the shebang would. */
  nodeFlags: string[];
  /** Variables the shebang sets for node (GLIBC_TUNABLES: glibc reads it only at start), for the same reason. */
  environment: Record<string, string>;
  /** The real path of bin/spire.js (links resolved: an npm global install links to it). */
  script: string;
}

/** What `spire engine` is given. Paths are absolute: a service starts in another folder and environment. */
export interface EngineSettings {
  data: string;
  file?: string;
  format?: string;
  listen?: string;
  allowRemote?: boolean;
  grace: string;
  /** More `spire engine` options, as the user gave them. */
  more?: string[];
}

export function engineArgv(program: SpireProgram, settings: EngineSettings): string[] {
  return [
    program.node,
    ...program.nodeFlags,
    program.script,
    "engine",
    "--data",
    settings.data,
    ...(settings.file !== undefined ? ["-f", settings.file] : []),
    ...(settings.format !== undefined ? ["--format", settings.format] : []),
    ...(settings.listen !== undefined ? ["--listen", settings.listen] : []),
    ...(settings.allowRemote ? ["--allow-remote"] : []),
    "--grace",
    settings.grace,
    ...(settings.more ?? []),
  ];
}

/**
 * The node flags of a script's first line: `#!/usr/bin/env -S node --v8-pool-size=1`
 * gives ["--v8-pool-size=1"]; `#!/usr/bin/env node` or no shebang gives none.
 */
export function nodeFlagsOfShebang(firstLine: string): string[] {
  if (!firstLine.startsWith("#!")) return [];
  const words = firstLine.slice(2).trim().split(/\s+/);
  const node = words.findIndex((word) => word === "node" || word.endsWith("/node"));
  return node < 0 ? [] : words.slice(node + 1).filter((word) => word.startsWith("-"));
}

/**
 * The variables a script's first line sets before node:
 * `#!/usr/bin/env -S GLIBC_TUNABLES=a=1:${GLIBC_TUNABLES} node` gives
 * { GLIBC_TUNABLES: "a=1" }. A service does not inherit the installing
 * shell's variables, so `${NAME}` is left out (with the `:` it left behind).
 */
export function environmentOfShebang(firstLine: string): Record<string, string> {
  if (!firstLine.startsWith("#!")) return {};
  const words = firstLine.slice(2).trim().split(/\s+/);
  const node = words.findIndex((word) => word === "node" || word.endsWith("/node"));
  const assignments = words.slice(0, Math.max(0, node)).filter((word) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(word));
  return Object.fromEntries(
    assignments.map((word) => {
      const equals = word.indexOf("=");
      return [word.slice(0, equals), word.slice(equals + 1).replace(/\$\{\w+\}/g, "").replace(/:$/, "")];
    }),
  );
}

/**
 * How long the service manager waits for the engine to stop before it kills
 * it: the drain's grace, then the tasks still running get their kill grace
 * (10s unless a task says otherwise) and notifications under way 5s, with room
 * to spare.
 */
export function stopTimeoutSeconds(graceMs: number): number {
  return Math.ceil(graceMs / 1000) + 30;
}
