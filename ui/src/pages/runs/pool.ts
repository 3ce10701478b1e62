/** At most `size` requests at once; the rest wait their turn, in order. Cleared work is dropped, not run. */
export class Pool {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private generation = 0;

  constructor(private readonly size: number) {}

  run<T>(work: () => Promise<T>): Promise<T> {
    const generation = this.generation;
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        if (generation !== this.generation) {
          reject(new DOMException("dropped", "AbortError"));
          return;
        }
        this.active++;
        work()
          .then(resolve, reject)
          .finally(() => {
            this.active--;
            this.waiting.shift()?.();
          });
      };
      if (this.active < this.size) start();
      else this.waiting.push(start);
    });
  }

  /** Drops what has not started yet (its promises reject with an AbortError). */
  clear(): void {
    this.generation++;
    const dropped = this.waiting.splice(0);
    for (const start of dropped) start();
  }
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
