/** Preact's memo without preact/compat: re-render only when a prop changed (compared with ===). */
import { Component, h, type FunctionComponent } from "preact";

export function memo<P extends object>(Inner: FunctionComponent<P>): FunctionComponent<P> {
  class Memo extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      const previous = this.props as Record<string, unknown>;
      const incoming = next as Record<string, unknown>;
      for (const key in incoming) if (key !== "children" && previous[key] !== incoming[key]) return true;
      for (const key in previous) if (!(key in incoming)) return true;
      return false;
    }
    override render(props: P) {
      return h(Inner, props);
    }
  }
  return Memo as unknown as FunctionComponent<P>;
}
