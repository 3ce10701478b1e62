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

/** What the last engine of this data folder was started with; the built-in defaults when none was. */
export function loadRetentionDefaults(dataDir: string): RetentionLimits {
  try {
    const saved = JSON.parse(readFileSync(join(dataDir, FILE), "utf8")) as { keep_runs?: unknown; keep_days?: unknown };
    const limit = (value: unknown, fallback: number | null) => (value === null ? null : typeof value === "number" && value > 0 ? value : fallback);
    return { keep: limit(saved.keep_runs, DEFAULT_RETENTION.keep), days: limit(saved.keep_days, DEFAULT_RETENTION.days) };
  } catch {
    return DEFAULT_RETENTION;
  }
}
