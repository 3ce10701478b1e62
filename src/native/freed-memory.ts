/**
 * How much freed memory the C allocator keeps for reuse (native/memory.c):
 * raised for a process that ends with its command, so that a busy run does
 * not give memory back to the kernel only to fault it in again, page by
 * page. An engine keeps glibc's default and gives memory back at rest.
 */
import { loadAddon } from "./addon.js";

/** Enough for what V8's optimizing compiler frees and takes again between two tasks of a run (4 MB). */
export const BUSY_PROCESS_KEPT_BYTES = 4 * 1024 * 1024;

/** The addon's calls on the C allocator that this build of it has (none without the addon; an older one lacks the newer). */
function allocatorCalls(): { keepFreedMemory?: (bytes: number) => boolean; giveBackFreedMemory?: () => boolean } {
  const loaded = loadAddon();
  return "why" in loaded ? {} : (loaded.addon as ReturnType<typeof allocatorCalls>);
}

/** Whether the allocator now keeps up to `bytes` freed at the top of each arena (false without the addon or glibc). */
export function keepFreedMemory(bytes: number): boolean {
  return allocatorCalls().keepFreedMemory?.(bytes) ?? false;
}

/** Gives the allocator's free pages back to the kernel, wherever they lie in its heaps (false without the addon or glibc). */
export function giveBackFreedMemory(): boolean {
  return allocatorCalls().giveBackFreedMemory?.() ?? false;
}

/**
 * An engine's burst of work (its start, an apply) frees much of what it
 * took, but glibc keeps freed blocks that lie below blocks still in use,
 * resident for the life of the process. Some seconds after the last burst
 * (V8's memory reducer collects ~8 s after a burst, and what it frees
 * comes back to malloc then) they are given back once. The timer does not
 * keep the process alive.
 */
export class FreedMemoryAfterBursts {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs = 15_000,
    private readonly giveBack: () => unknown = giveBackFreedMemory,
  ) {}

  /** A burst just ended: give back what it freed once the process has been quiet for a while. */
  burst(): void {
    if (this.timer !== undefined) this.timer.refresh();
    else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.giveBack();
      }, this.delayMs);
      this.timer.unref();
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
