/**
 * The engine-wide event stream (GET /events) where engines share a store:
 * every engine's runs' events, read from the store in seq order. An engine
 * hears only its own runs' events on its bus, so a web UI open on one engine
 * saw nothing of the runs of the others; and mixing the bus with reads of
 * the others' would send seqs out of order, which a client resuming by
 * Last-Event-ID relies on (the store makes appends visible in seq order).
 * One read for all of this engine's followers of the whole stream, every
 * POLL_MS, and within HINT_MS when this engine stores events: its own come
 * about as soon as before, in order with the rest.
 */
import type { EventRow, Store } from "../../store/port.js";
import { SeqFollower } from "./seq-follower.js";

const POLL_MS = 250;
/** How soon after this engine stores events they are read (its own come about as soon as on the bus). */
const HINT_MS = 20;

export class EveryEngineEvents extends SeqFollower<EventRow> {
  /** `failed`: a read failed (it is tried again at the next tick). */
  constructor(store: Pick<Store, "listEventsSince" | "latestEventSeq">, failed: (error: Error) => void) {
    super({ latest: () => store.latestEventSeq(), since: (afterSeq, limit) => store.listEventsSince(afterSeq, limit) }, { pollMs: POLL_MS, hintMs: HINT_MS }, failed);
  }
}
