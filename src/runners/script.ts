/**
 * `script:` — a file, run by what its extension says: .py with python3
 * (or `interpreter`), .js/.mjs/.cjs with node, .ts with node's type
 * stripping (Node 22.6+), anything else executed directly (its #! line).
 */
import { extname, isAbsolute, resolve } from "node:path";
import type { RunnerCommand, RunnerContext } from "./runners.js";

/** Node learnt to strip TypeScript types in 22.6 (behind a flag) and does it by default from 23.6. */
const STRIP_TYPES_FROM: [number, number] = [22, 6];
const STRIP_TYPES_DEFAULT_FROM: [number, number] = [23, 6];

function atLeast(version: string, [major, minor]: [number, number]): boolean {
  const [ma = 0, mi = 0] = version.replace(/^v/, "").split(".").map(Number);
  return ma > major || (ma === major && mi >= minor);
}

export function scriptCommand(script: string, args: string[], interpreter: string | undefined, context: RunnerContext): RunnerCommand {
  if (script === "") return { error: "script needs a file name" };
  const file = isAbsolute(script) ? script : resolve(context.cwd, script);
  const extension = extname(file).toLowerCase();
  if (interpreter !== undefined) return { argv: [interpreter, file, ...args] };
  switch (extension) {
    case ".py":
      return { argv: ["python3", file, ...args] };
    case ".js":
    case ".mjs":
    case ".cjs":
      return { argv: [context.nodePath, file, ...args] };
    case ".ts":
    case ".mts":
      return typeScriptCommand(file, args, context);
    default:
      return { argv: [file, ...args] };
  }
}

function typeScriptCommand(file: string, args: string[], context: RunnerContext): RunnerCommand {
  const version = context.nodeVersion ?? process.versions.node;
  if (!atLeast(version, STRIP_TYPES_FROM)) {
    return { error: `${file}: TypeScript scripts need Node 22.6 or newer (this is ${version}); or set interpreter: tsx` };
  }
  const flags = atLeast(version, STRIP_TYPES_DEFAULT_FROM) ? [] : ["--experimental-strip-types", "--disable-warning=ExperimentalWarning"];
  return { argv: [context.nodePath, ...flags, file, ...args] };
}
