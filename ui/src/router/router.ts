/**
 * A small history-API router: the current location as signals, navigation
 * that pushes (or replaces) history entries, and clicks on internal links
 * handled without a page load.
 */
import { computed, signal } from "@preact/signals";
import { matchRoute, type RouteMatch } from "./routes";

interface Place {
  path: string;
  search: string;
}

function here(): Place {
  return { path: location.pathname, search: location.search };
}

const place = signal<Place>(here());

export const currentPath = computed(() => place.value.path);
export const currentQuery = computed(() => new URLSearchParams(place.value.search));
export const currentRoute = computed<RouteMatch>(() => matchRoute(place.value.path));
/** Path and query, to come back to after logging in. */
export const currentHref = computed(() => place.value.path + place.value.search);

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = new URL(to, location.origin);
  if (url.origin !== location.origin) {
    location.assign(url.href);
    return;
  }
  const target = url.pathname + url.search + url.hash;
  const samePage = url.pathname === location.pathname;
  if (options.replace) history.replaceState(null, "", target);
  else history.pushState(null, "", target);
  place.value = here();
  // A new page starts at its top; a changed filter keeps the reader where they are.
  if (!samePage && !options.replace) window.scrollTo(0, 0);
}

/** Changes some query parameters of the current view (empty removes one); filters replace the history entry rather than pile up. */
export function setQuery(changes: Record<string, string | undefined>, options: { replace?: boolean } = { replace: true }): void {
  const params = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === "") params.delete(key);
    else params.set(key, value);
  }
  const search = params.toString();
  navigate(location.pathname + (search ? `?${search}` : ""), options);
}

/** Where a login may send the user back to: a path of this UI, never another site. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\") || next.startsWith("/login")) return "/";
  return next;
}

function isInternalClick(event: MouseEvent): HTMLAnchorElement | undefined {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return undefined;
  const anchor = (event.target as Element | null)?.closest?.("a");
  if (!anchor || !anchor.href || anchor.hasAttribute("download")) return undefined;
  if (anchor.target && anchor.target !== "_self") return undefined;
  const url = new URL(anchor.href);
  // API links (artifacts, downloads) are real requests, not views.
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return undefined;
  return anchor;
}

export function startRouter(): void {
  window.addEventListener("popstate", () => {
    place.value = here();
  });
  document.addEventListener("click", (event) => {
    const anchor = isInternalClick(event);
    if (!anchor) return;
    event.preventDefault();
    const url = new URL(anchor.href);
    if (url.pathname + url.search === location.pathname + location.search && url.hash) {
      location.hash = url.hash;
      return;
    }
    navigate(url.pathname + url.search + url.hash);
  });
}
