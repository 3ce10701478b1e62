/**
 * Starting the UI: who is logged in decides between the login page and the
 * others; a 401 at any later moment sends the user to log in, remembering
 * the page they were on.
 */
import { signal } from "@preact/signals";
import { messageOf } from "../api/api-error";
import { setUnauthorizedHandler } from "../api/client";
import { loadSession, whoAmI } from "../api/session";
import { startLiveEvents, stopLiveEvents } from "../live/events";
import { currentHref, currentRoute, navigate, startRouter } from "../router/router";
import { paths } from "../router/routes";
import { installStateIconProperties } from "../components/state-icon-properties";
import { startClock } from "../time/now";

export type BootState = { kind: "checking" } | { kind: "ready" } | { kind: "failed"; message: string };

export const bootState = signal<BootState>({ kind: "checking" });

function toLogin(): void {
  stopLiveEvents();
  whoAmI.value = null;
  if (currentRoute.value.name !== "login") navigate(paths.login(currentHref.value), { replace: true });
}

export async function checkSession(): Promise<void> {
  bootState.value = { kind: "checking" };
  try {
    const me = await loadSession();
    if (me) startLiveEvents();
    else toLogin();
    bootState.value = { kind: "ready" };
  } catch (error) {
    bootState.value = { kind: "failed", message: messageOf(error) };
  }
}

export function boot(): void {
  installStateIconProperties();
  startRouter();
  startClock();
  setUnauthorizedHandler(toLogin);
  void checkSession();
}
