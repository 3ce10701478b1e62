/** Which view the current URL shows, inside the layout (the login page stands alone). */
import type { ComponentType } from "preact";
import { whoAmI } from "../api/session";
import { Layout } from "../components/layout";
import { lazyPage, type PageProps } from "../components/lazy-page";
import LoginPage from "../pages/login";
import NotFoundPage from "../pages/not-found";
import PipelinesPage from "../pages/pipelines";
import { readLinkedLog } from "../logs/log-early";
import { currentQuery, currentRoute } from "../router/router";
import type { RouteName } from "../router/routes";
import { bootState, checkSession } from "./boot";

// A task's log the URL names is read at once, while the run page's code loads (that page takes the read).
const opening = currentRoute.peek();
if (opening.name === "run" && opening.params.id) readLinkedLog(opening.params.id, currentQuery.peek());

/** The home page is in the first load; the others come when first visited. */
const PAGES: Record<Exclude<RouteName, "login">, ComponentType<PageProps>> = {
  pipelines: PipelinesPage,
  pipeline: lazyPage(() => import("../pages/pipeline")),
  runs: lazyPage(() => import("../pages/runs")),
  run: lazyPage(() => import("../pages/run")),
  compare: lazyPage(() => import("../pages/compare")),
  engine: lazyPage(() => import("../pages/engine")),
  "not-found": NotFoundPage,
};

export function App() {
  const route = currentRoute.value;
  const boot = bootState.value;
  if (route.name === "login") return boot.kind === "checking" ? null : <LoginPage />;
  if (boot.kind === "failed") {
    return (
      <main id="main" class="login">
        <h1 class="login__brand">Spire</h1>
        <p class="notice notice--error" role="alert">
          {boot.message}
        </p>
        <button type="button" class="button button--primary" onClick={() => void checkSession()}>
          Try again
        </button>
      </main>
    );
  }
  // While the session is being checked the page already loads its data (a 401 sends it to the login page anyway): one round trip less.
  if (boot.kind === "ready" && !whoAmI.value) return <p class="loading">Loading…</p>;
  const Page = PAGES[route.name];
  // A key per URL path: going from one run to another starts the page afresh.
  return (
    <Layout>
      <Page key={`${route.name}:${JSON.stringify(route.params)}`} params={route.params} />
    </Layout>
  );
}
