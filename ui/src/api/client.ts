/**
 * Every call to the engine goes through here: same-origin requests carrying
 * the session cookie, the CSRF header on anything that changes something,
 * errors turned into ApiError, and a 401 sending the user to the login page.
 */
import { ApiError } from "./api-error";
import type { ErrorBody } from "./types";

export const API_BASE = "/api/v1";
const CSRF_HEADER = "x-spire-csrf";

let csrfToken: string | null = null;
let onUnauthorized: () => void = () => {};

/** Set from GET /session (or the login answer); sent with every non-GET request. */
export function setCsrf(token: string | null): void {
  csrfToken = token;
}

/** What a 401 does (the app sends the user to /login, remembering where they were). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** The caller handles 401 itself (the login page, the first session check). */
  quietUnauthorized?: boolean;
}

export function apiUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const search = params.toString();
  return `${API_BASE}${path}${search ? `?${search}` : ""}`;
}

/** A path segment as the API expects it (names are plain, but run ids and task paths are escaped to be safe). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

export async function request<T>(method: "GET" | "POST" | "DELETE" | "PUT" | "PATCH", path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET" && csrfToken) headers[CSRF_HEADER] = csrfToken;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), { method, headers, body, credentials: "same-origin", signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError("unreachable", "The engine is not answering. Is it running?", null, 0);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (response.ok) return parsed as T;
  const error = toApiError(response.status, parsed);
  if (response.status === 401 && !options.quietUnauthorized) onUnauthorized();
  throw error;
}

function toApiError(status: number, body: unknown): ApiError {
  const error = (body as Partial<ErrorBody> | undefined)?.error;
  if (error && typeof error.message === "string") return new ApiError(error.code ?? "error", error.message, error.details ?? null, status);
  const fallback =
    status === 401 ? "You are not logged in, or your session has ended." : status >= 500 ? `The engine failed to answer (HTTP ${status}).` : `The engine refused the request (HTTP ${status}).`;
  return new ApiError(status === 401 ? "unauthorized" : "error", fallback, null, status);
}

export const get = <T>(path: string, options?: RequestOptions) => request<T>("GET", path, options);
export const post = <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>("POST", path, { ...options, body });
export const del = <T = void>(path: string, options?: RequestOptions) => request<T>("DELETE", path, options);
