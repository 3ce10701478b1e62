/**
 * How much freed memory the C allocator keeps for reuse (native/memory.c):
 * raised for a process that ends with its command, so that a busy run does
 * not give memory back to the kernel only to fault it in again, page by
 * page. An engine keeps glibc's default and gives memory back at rest.
 */
import { loadAddon } from "./addon.js";

/** Enough for what V8's optimizing compiler frees and takes again between two tasks of a run (4 MB). */
export const BUSY_PROCESS_KEPT_BYTES = 4 * 1024 * 1024;

/** Whether the allocator now keeps up to `bytes` freed at the top of each arena (false without the addon or glibc). */
export function keepFreedMemory(bytes: number): boolean {
  const loaded = loadAddon();
  if ("why" in loaded) return false;
  const keep = (loaded.addon as { keepFreedMemory?: (bytes: number) => boolean }).keepFreedMemory;
  return keep?.(bytes) ?? false;
}
