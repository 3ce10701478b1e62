/**
 * Every error answer is `{ error: { code, message, details } }`. Statuses are
 * decided here and nowhere else: ServiceError codes, validation problems,
 * and the framework's own refusals (body too large, unknown media type).
 */
import type { z } from "zod";
import { ServiceError, type ServiceErrorCode } from "../engine/service.js";
import { DiskFullError, isDiskFull, isStoreUnavailable } from "../store/errors.js";

/** Codes the HTTP layer adds to the service's own. */
export type ApiErrorCode = ServiceErrorCode | "method_not_allowed" | "payload_too_large" | "unsupported_media_type" | "headers_too_large" | "request_timeout" | "disk_full" | "internal";

const STATUS: Record<ApiErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  queue_full: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  request_timeout: 408,
  invalid_args: 422,
  invalid_definitions: 422,
  internal: 500,
  unavailable: 503,
  disk_full: 507,
};

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }

  get status(): number {
    return STATUS[this.code];
  }

  body(): { error: { code: string; message: string; details: unknown } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** The framework's 4xx errors carry a statusCode; these are the ones a client can cause. */
const FRAMEWORK_CODES: Record<number, ApiErrorCode> = {
  400: "bad_request",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/**
 * Turns anything thrown while answering into an ApiError, or undefined for
 * an unexpected error (a 500 whose message must not reach the client).
 */
export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof ServiceError) return new ApiError(error.code, error.message, error.details);
  // Not the client's doing and no bug: it can try again once there is room.
  if (isDiskFull(error)) {
    const said = error instanceof DiskFullError ? error.message : "the disk holding Spire's data folder is full: free some space on it";
    return new ApiError("disk_full", `${said}, then try again`);
  }
  // Nor is a database that does not answer: the engine rides it out, and the client may ask again.
  if (isStoreUnavailable(error)) return new ApiError("unavailable", `the engine's database did not answer (${(error as Error).message}): try again in a moment; the engine's log says more`);
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    const code = FRAMEWORK_CODES[status] ?? "bad_request";
    return new ApiError(code, frameworkMessage(code, error as Error));
  }
  return undefined;
}

function frameworkMessage(code: ApiErrorCode, error: Error): string {
  switch (code) {
    case "payload_too_large":
      return "the request body is larger than 5 MiB";
    case "unsupported_media_type":
      return "unsupported Content-Type: send application/json (or YAML as text/yaml to /apply)";
    default:
      // A URL the router refuses (a part of it over 1,000 characters, a malformed %-escape): its message
      // would echo the whole URL, query string and all.
      if ((error as { code?: unknown }).code === "FST_ERR_MAX_PARAM_LENGTH") return "a part of the URL's path is longer than 1,000 characters: no name or id is that long";
      if ((error as { code?: unknown }).code === "FST_ERR_BAD_URL") return "the URL's path cannot be read: a % in it is not followed by two hex digits, or it does not decode to UTF-8";
      // Other framework messages name the problem (an empty body) without echoing the body.
      return error.message;
  }
}

/** One line per problem, each prefixed by where it is: `query.limit: expected …`. */
/** `given`: what was parsed (a query parameter given twice is a list there, whatever the issue's own input). */
export function describeIssues(location: string, issues: readonly z.core.$ZodIssue[], given?: unknown): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const where = [location, ...issue.path.map(String)].join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) lines.push(`${where}.${key}: unknown ${location === "body" ? "field" : "parameter"}`);
    } else if (issue.code === "invalid_type" && issue.input === undefined) {
      lines.push(`${where}: required`);
    } else if (location === "query" && issue.path.length === 1 && Array.isArray(valueAt(given, issue.path[0]))) {
      // ?limit=1&limit=2 comes as a list: the schema's own message (expected a whole number) would not say why.
      lines.push(`${where}: given ${(valueAt(given, issue.path[0]) as unknown[]).length} times: give it once`);
    } else {
      lines.push(`${where}: ${issue.message}`);
    }
  }
  // Two checks of one value may say the same (a number too large for both its type and its range).
  return [...new Set(lines)];
}

function valueAt(given: unknown, key: PropertyKey | undefined): unknown {
  return typeof given === "object" && given !== null && typeof key === "string" && Object.hasOwn(given, key) ? (given as Record<string, unknown>)[key] : undefined;
}

export function validationError(problems: string[]): ApiError {
  return new ApiError("bad_request", `invalid request: ${problems.join("; ")}`, problems);
}
