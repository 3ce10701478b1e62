/**
 * `work` run one call at a time: a call while one is under way asks for one
 * more after it (what it would find may have changed since that one began),
 * however many calls came meanwhile. `going`: whether that one more is still
 * wanted (its owner did not stop meanwhile); `failed` hears of a call that threw.
 */
export function oneAtATime(work: () => Promise<void>, failed: (error: Error) => void, going: () => boolean): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    void work()
      .catch(failed)
      .finally(() => {
        running = false;
        if (!again) return;
        again = false;
        if (going()) run();
      });
  };
  return run;
}
