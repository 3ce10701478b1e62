/** Something read from the engine once a section shows (and again on `reload` or when `key` changes): its value, or the error. */
import { useEffect, useState } from "preact/hooks";

export interface Loaded<T> {
  value: T | undefined;
  error: unknown;
  reload: () => void;
}

export function useLoaded<T>(load: () => Promise<T>, enabled = true, key: unknown = 0): Loaded<T> {
  const [value, setValue] = useState<T | undefined>();
  const [error, setError] = useState<unknown>();
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    load().then(
      (loaded) => {
        if (!live) return;
        setValue(loaded);
        setError(undefined);
      },
      (failure: unknown) => live && setError(failure),
    );
    return () => {
      live = false;
    };
  }, [enabled, key, round]);
  return { value, error, reload: () => setRound((old) => old + 1) };
}
