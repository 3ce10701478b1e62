/** Each view names itself in the tab's title, for history, tabs and screen readers. */
import { useEffect } from "preact/hooks";

export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Spire` : "Spire";
  }, [title]);
}
