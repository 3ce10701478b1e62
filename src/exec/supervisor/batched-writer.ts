import type { Writable } from "node:stream";

/**
 * Writes the lines of one turn of the event loop as one write, both ways:
 * the engine's requests (a run's cancel of its 50 tasks, or a burst of
 * launches, each sent from its own I/O callback) reach the supervisor as one
 * chunk, acted on together, instead of the first line alone while the rest
 * wait for the supervisor's next read; and the supervisor's events for such
 * a burst (`started`, and `done` of tasks that ended together) reach the
 * engine as one, one wake-up of a busy engine instead of one per task.
 * Flushed at the turn's check phase: after its I/O callbacks, before it waits.
 */
export function batchedWriter(stream: Writable): (text: string) => void {
  let corked = false;
  return (text) => {
    if (!stream.writable) return;
    if (!corked) {
      corked = true;
      stream.cork();
      setImmediate(() => {
        corked = false;
        stream.uncork();
      });
    }
    stream.write(text);
  };
}
