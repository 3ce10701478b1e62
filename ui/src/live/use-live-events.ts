/** Hooks for pages: listen to the live batches while mounted; hold updates while something is open. */
import { useEffect, useRef } from "preact/hooks";
import { hold, subscribe, type LiveBatch } from "./events";

/** Calls the latest `listener` with each batch while the component is mounted. */
export function useLiveEvents(listener: (batch: LiveBatch) => void): void {
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => subscribe((batch) => latest.current(batch)), []);
}

/** Holds live updates while `active` (a dialog or menu is open). */
export function useHold(active: boolean): void {
  useEffect(() => (active ? hold() : undefined), [active]);
}
