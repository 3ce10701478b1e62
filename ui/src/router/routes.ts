/**
 * Every view of the UI has a URL: this table maps paths to views. Filters
 * and other view state live in the query string, so a URL shows the same
 * thing to whoever opens it.
 */

export type RouteName = "pipelines" | "pipeline" | "runs" | "run" | "compare" | "engine" | "login" | "not-found";

interface RouteDef {
  name: RouteName;
  /** Path segments; ":x" captures one segment as params.x. */
  segments: string[];
}

const ROUTES: RouteDef[] = [
  { name: "pipelines", segments: [] },
  { name: "pipeline", segments: ["pipelines", ":ns", ":name"] },
  { name: "runs", segments: ["runs"] },
  { name: "run", segments: ["runs", ":id"] },
  { name: "compare", segments: ["compare"] },
  { name: "engine", segments: ["engine"] },
  { name: "login", segments: ["login"] },
];

export interface RouteMatch {
  name: RouteName;
  params: Record<string, string>;
}

export function matchRoute(path: string): RouteMatch {
  const parts = path.split("/").filter((part) => part !== "");
  for (const route of ROUTES) {
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = route.segments.every((segment, index) => {
      const part = parts[index]!;
      if (segment.startsWith(":")) {
        try {
          params[segment.slice(1)] = decodeURIComponent(part);
        } catch {
          return false;
        }
        return true;
      }
      return segment === part;
    });
    if (matches) return { name: route.name, params };
  }
  return { name: "not-found", params: {} };
}

/** Paths to link to, so no view builds its URLs by hand. */
export const paths = {
  pipelines: () => "/",
  pipeline: (ns: string, name: string) => `/pipelines/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`,
  runs: (query?: Record<string, string>) => withQuery("/runs", query),
  run: (id: string) => `/runs/${encodeURIComponent(id)}`,
  compare: (a: string, b: string) => withQuery("/compare", { a, b }),
  engine: () => "/engine",
  login: (next?: string) => withQuery("/login", next && next !== "/" ? { next } : undefined),
};

export function withQuery(path: string, query?: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== "") params.set(key, value);
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}
