/** For what has no event to await (a process ending, a file another process writes): poll, with a deadline. */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A process that exists and is not a zombie (nothing here reaps orphans, so a zombie counts as gone). */
export { isRunning as alive } from "./marked-processes.js";
