/** The frame of every page but the login: the header with its navigation, the engine-unreachable banner, the live region. */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { messageOf } from "../api/api-error";
import { logOut, whoAmI } from "../api/session";
import { connected, stopLiveEvents } from "../live/events";
import { currentRoute, navigate } from "../router/router";
import { paths, type RouteName } from "../router/routes";
import { formatAbsolute } from "../time/format";
import { showUtc } from "../time/zone-choice";
import { LiveRegion } from "./announcer";
import { TimeZoneToggle } from "./time-zone-toggle";

const NAV: { label: string; href: string; routes: RouteName[] }[] = [
  { label: "Pipelines", href: paths.pipelines(), routes: ["pipelines", "pipeline"] },
  { label: "Runs", href: paths.runs(), routes: ["runs", "run", "compare"] },
  { label: "Engine", href: paths.engine(), routes: ["engine"] },
];

export function Layout({ children }: { children: ComponentChildren }) {
  const route = currentRoute.value.name;
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="top__brand" href="/" aria-label="Spire, home">
          Spire
        </a>
        <nav class="top__nav" aria-label="Main">
          {NAV.map((item) => (
            <a key={item.href} href={item.href} class="top__link" aria-current={item.routes.includes(route) ? "page" : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
        <div class="top__tools">
          <TimeZoneToggle />
          <SessionMenu />
        </div>
      </header>
      {!connected.value && (
        <div class="banner" role="alert">
          The engine is not answering — retrying…
        </div>
      )}
      <main id="main" class="page" tabIndex={-1}>
        {children}
      </main>
      <LiveRegion />
    </>
  );
}

function SessionMenu() {
  const me = whoAmI.value;
  const [error, setError] = useState<string | null>(null);
  if (!me) return null;
  async function onLogOut() {
    setError(null);
    try {
      await logOut();
      stopLiveEvents();
      navigate(paths.login(), { replace: true });
    } catch (failure) {
      setError(messageOf(failure));
    }
  }
  return (
    <div class="session">
      <span class="session__who" title={me.session?.expires_at ? `Session ends ${formatAbsolute(me.session.expires_at, showUtc.value)}` : undefined}>
        <span class="session__name">{me.name}</span> <span class={`scope scope--${me.scope}`}>{me.scope}</span>
      </span>
      {me.session && (
        <button type="button" class="button button--quiet" onClick={onLogOut}>
          Log out
        </button>
      )}
      {error && (
        <span class="session__error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
