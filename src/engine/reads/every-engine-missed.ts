/**
 * The `missed` records of every engine sharing a store, for the engine-wide
 * stream (GET /events `event: missed`). Whichever engine records slots as
 * missed (the leader's scheduler, or the engine a pipeline is resumed
 * through) published them on its own bus only, so a client of another
 * engine heard nothing. Read from the store in seq order instead, each
 * stream gets each record once, this engine's own among them (its bus
 * still tells its notifier, which must send once, not once per engine).
 *
 * Records are rare: a NOTIFY with each (StoreChangeHints) has them read at
 * once, a look every POLL_MS finds those whose notice was lost.
 */
import type { MissedRow } from "../../store/port.js";
import type { SharedStore } from "../../store/shared-port.js";
import type { StoreChangeHints } from "../../cluster/port.js";
import { SeqFollower } from "./seq-follower.js";

const POLL_MS = 2000;
const HINT_MS = 20;

export class EveryEngineMissed extends SeqFollower<MissedRow> {
  /** `hints`: told when some engine stored a record (absent: looks every POLL_MS only). */
  constructor(shared: Pick<SharedStore, "missedSince" | "latestMissedSeq">, hints: StoreChangeHints | undefined, failed: (error: Error) => void) {
    super({ latest: () => shared.latestMissedSeq(), since: (afterSeq, limit) => shared.missedSince(afterSeq, limit) }, { pollMs: POLL_MS, hintMs: HINT_MS }, failed);
    hints?.listen(() => this.stored());
  }
}
