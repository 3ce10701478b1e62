/**
 * Pages other than the home page are loaded when first visited, so the
 * first load stays small however large the run or log views grow.
 */
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";

export type PageProps = { params: Record<string, string> };
type Loader = () => Promise<{ default: ComponentType<PageProps> }>;

const loaded = new Map<Loader, ComponentType<PageProps>>();

export function lazyPage(load: Loader): ComponentType<PageProps> {
  return function LazyPage(props: PageProps) {
    const [Page, setPage] = useState<ComponentType<PageProps> | undefined>(() => loaded.get(load));
    const [failed, setFailed] = useState(false);
    // Asked for as the page first renders, not after the first paint: a frame sooner.
    const [loading] = useState(() => (loaded.has(load) ? undefined : load()));
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
    }, []);
    if (failed)
      return (
        <p class="notice notice--error" role="alert">
          This page could not be loaded: the engine may have been updated, or stopped. Reload the page.
        </p>
      );
    if (!Page) return <p class="loading">Loading…</p>;
    return <Page {...props} />;
  };
}
