/**
 * Pages other than the home page are loaded when first visited, so the
 * first load stays small however large the run or log views grow.
 *
 * A page first visited while the engine is away cannot load; it is asked
 * for again when the engine is back (the live stream's resync), as every
 * page's data is, so the banner going does not leave a page that still
 * says it could not be loaded.
 */
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useLiveEvents } from "../live/use-live-events";

export type PageProps = { params: Record<string, string> };
type Loader = () => Promise<{ default: ComponentType<PageProps> }>;

const loaded = new Map<Loader, ComponentType<PageProps>>();

export function lazyPage(load: Loader): ComponentType<PageProps> {
  return function LazyPage(props: PageProps) {
    const [Page, setPage] = useState<ComponentType<PageProps> | undefined>(() => loaded.get(load));
    const [failed, setFailed] = useState(false);
    // Asked for as the page first renders, not after the first paint: a frame sooner.
    const [loading, setLoading] = useState(() => (loaded.has(load) ? undefined : load()));
    useLiveEvents((batch) => {
      if (failed && batch.resync) {
        setFailed(false);
        setLoading(load());
      }
    });
    useEffect(() => {
      if (Page || !loading) return;
      let live = true;
      loading.then(
        (module) => {
          loaded.set(load, module.default);
          if (live) setPage(() => module.default);
        },
        () => live && setFailed(true),
      );
      return () => {
        live = false;
      };
    }, [loading]);
    if (failed)
      return (
        <p class="notice notice--error" role="alert">
          This page could not be loaded: the engine is not answering, or it was updated. It loads by itself once the engine answers again; after an update, reload the page.
        </p>
      );
    if (!Page) return <p class="loading">Loading…</p>;
    return <Page {...props} />;
  };
}
