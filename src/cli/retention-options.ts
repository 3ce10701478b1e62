/**
 * The engine's retention defaults and artifact limit, from its command line.
 * They are also written to `<data>/retention.json`, so that `spire gc` with
 * no engine running applies the limits that engine would (and never removes
 * runs it would have kept).
 */
import { readFileSync } from "node:fs";
import { writePrivateFileSync } from "../files/private.js";
import { join } from "node:path";
import { DEFAULT_RETENTION, type RetentionLimits } from "../engine/runs/retention.js";
import { DEFAULT_ARTIFACT_LIMIT_BYTES } from "../engine/artifacts/artifacts.js";
import { parseSizeBytes } from "../definitions/units.js";
import { CliError, EXIT } from "./errors.js";
import { DataFileError } from "../files/data-file-error.js";

const FILE = "retention.json";

export interface RetentionFlags {
  keepRuns?: string;
  keepDays?: string;
  artifactLimit?: string;
}

/** `--keep-runs N`, `--keep-days D` (0: no limit) and `--artifact-limit SIZE`. */
export function parseRetentionFlags(flags: RetentionFlags): { retention: RetentionLimits; artifactLimitBytes: number } {
  const keep = flags.keepRuns === undefined ? DEFAULT_RETENTION.keep : count(flags.keepRuns, "--keep-runs", /^\d+$/, "a whole number of runs, such as 500 (0: no limit)");
  const days = flags.keepDays === undefined ? DEFAULT_RETENTION.days : count(flags.keepDays, "--keep-days", /^\d+(\.\d+)?$/, "a number of days, such as 30 (0: no limit)");
  const artifactLimitBytes = flags.artifactLimit === undefined ? DEFAULT_ARTIFACT_LIMIT_BYTES : parseSizeBytes(flags.artifactLimit);
  if (artifactLimitBytes === undefined) throw new CliError(`--artifact-limit ${JSON.stringify(flags.artifactLimit)} is not a size`, EXIT.usage, "For example: --artifact-limit 2GiB");
  return { retention: { keep, days }, artifactLimitBytes };
}

function count(text: string, flag: string, pattern: RegExp, expected: string): number | null {
  if (!pattern.test(text.trim())) throw new CliError(`${flag} ${JSON.stringify(text)} is not ${expected}`, EXIT.usage);
  const value = Number(text);
  return value === 0 ? null : value;
}

export function saveRetentionDefaults(dataDir: string, limits: RetentionLimits): void {
  writePrivateFileSync(join(dataDir, FILE), `${JSON.stringify({ keep_runs: limits.keep, keep_days: limits.days })}\n`);
}

/**
 * What the last engine of this data folder was started with; the built-in
 * defaults when none was (no file). A file that cannot be used is refused,
 * never taken for the defaults: runs would be removed sooner, or kept
 * longer, than the user asked, and nothing would say so.
 */
export function loadRetentionDefaults(dataDir: string): RetentionLimits {
  const saved = readSaved(dataDir);
  if (saved === undefined) return DEFAULT_RETENTION;
  if ("limits" in saved) return saved.limits;
  const file = join(dataDir, FILE);
  throw new DataFileError(
    file,
    `the retention limits in ${file} cannot be used: ${saved.problem}`,
    `It holds the limits the last engine was started with, for commands run without one (spire run, spire gc). Start the engine with the limits you want (spire engine --keep-runs N --keep-days D, 0: no limit): it writes the file anew. Or delete the file, for the defaults (${DEFAULT_RETENTION.keep} runs, ${DEFAULT_RETENTION.days} days) until an engine starts.`,
  );
}

/** What is wrong with the file, in words; undefined when it is usable or absent. The engine replaces it with its own limits, and says so. */
export function retentionFileProblem(dataDir: string): string | undefined {
  const saved = readSaved(dataDir);
  return saved !== undefined && "problem" in saved ? saved.problem : undefined;
}

const KEYS = ["keep_runs", "keep_days"];

function readSaved(dataDir: string): { limits: RetentionLimits } | { problem: string } | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, FILE), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    return { problem: code === "EISDIR" ? "it is a folder, not a file" : `it cannot be read (${(error as Error).message})` };
  }
  let saved: unknown;
  try {
    saved = JSON.parse(text);
  } catch (error) {
    return { problem: `it is not JSON (${(error as Error).message})` };
  }
  if (typeof saved !== "object" || saved === null || Array.isArray(saved)) return { problem: `it holds ${JSON.stringify(saved)}, not an object such as {"keep_runs": 1000, "keep_days": 90}` };
  const record = saved as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !KEYS.includes(key));
  if (unknown !== undefined) return { problem: `${JSON.stringify(unknown)} is not one of its keys (keep_runs, keep_days)` };
  const keep = limit(record["keep_runs"], DEFAULT_RETENTION.keep, Number.isInteger);
  if (keep === false) return { problem: `keep_runs is ${JSON.stringify(record["keep_runs"])}, not a whole number of runs (0 or null: no limit)` };
  const days = limit(record["keep_days"], DEFAULT_RETENTION.days, Number.isFinite);
  if (days === false) return { problem: `keep_days is ${JSON.stringify(record["keep_days"])}, not a number of days (0 or null: no limit)` };
  return { limits: { keep, days } };
}

/** A saved limit: null or 0 is none (as 0 is for the options), absent the default; false when it is no such number. */
function limit(value: unknown, fallback: number | null, fits: (value: number) => boolean): number | null | false {
  if (value === undefined) return fallback;
  if (value === null || value === 0) return null;
  return typeof value === "number" && value > 0 && fits(value) ? value : false;
}
