/**
 * Why a watch trigger does not fire itself. A pipeline whose tasks write into
 * the folder it watches (a build writing `dist/` under a watched `./`, a
 * converter writing next to its inbox) would otherwise loop for ever: each
 * run's writes are a change, and each change a run.
 *
 * No watcher can tell who wrote a file (inotify names no process), so the
 * rule is about time, as watchexec's default (`--on-busy-update do-nothing`,
 * "so that changes that occur due to the command are ignored"): from the
 * moment a watch trigger fires until the run it started has ended, and for a
 * short settling time after that, that trigger takes no changes. They belong
 * to no burst, and start nothing. A change after that fires as always.
 *
 * What this gives up: an outside change made while the trigger's own run is
 * queued or running starts no new run (a queued run has not started yet, so
 * it sees that change anyway; a running one may not). Save again after the
 * run to have it seen. Runs started by other triggers or by hand do not mute
 * the watch: such a run writing into the folder starts one watch run, whose
 * own writes then start nothing.
 */
import { performance } from "node:perf_hooks";

/**
 * The least settling time after the trigger's run ended, whatever the
 * debounce. Its last writes can reach the watcher after the engine has seen
 * the run end: chokidar holds a removal back 100 ms (its `atomic` wait for the
 * file to come back), and a loaded machine delays events further.
 */
export const MIN_SETTLE_MS = 300;

interface Own {
  /** A run this trigger started (or is starting) has not ended. */
  busy: boolean;
  /** Which firing made it busy: a late answer about an earlier one changes nothing. */
  generation: number;
  /** Changes are not taken before this (performance.now()). */
  quietUntil: number;
  /** Whether the changes it dropped in this busy period were logged (once per period). */
  told: boolean;
}

export class OwnRuns {
  /** By watch key (`namespace/name/index`): kept across re-arming, so an apply during the run does not lose it. */
  private readonly owns = new Map<string, Own>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The trigger fires: until its run ends, its changes are its own. Returns the firing's generation. */
  fired(key: string): number {
    const own = this.ownOf(key);
    own.busy = true;
    own.told = false;
    return ++own.generation;
  }

  /** The firing made no run (refused, or the engine stopping): changes count again at once. */
  notMade(key: string, generation: number): void {
    const own = this.owns.get(key);
    if (own?.generation === generation) own.busy = false;
  }

  /**
   * A run started by this trigger ended (or was refused after it was made).
   * Matched by trigger rather than by run id: the run can end before the
   * firing learns its id, and a run of this trigger from before a restart is
   * the trigger's own just as well. With `generation`, only the end of that
   * firing's run.
   */
  ended(key: string, settleMs: number, generation?: number): void {
    const own = this.ownOf(key);
    // Heard from the store (see underway-triggers.ts): only while that firing's run is the one it waits for.
    if (generation !== undefined && (!own.busy || own.generation !== generation)) return;
    own.busy = false;
    own.quietUntil = this.now() + Math.max(settleMs, MIN_SETTLE_MS);
  }

  /** Whether a change seen now is the trigger's own; `first` is true for the first one of a busy period (to log it once). */
  muted(key: string): { muted: boolean; first: boolean } {
    const own = this.owns.get(key);
    if (!own || (!own.busy && this.now() >= own.quietUntil)) return { muted: false, first: false };
    const first = !own.told;
    own.told = true;
    return { muted: true, first };
  }

  /** Forgets triggers no longer armed, unless a run of theirs is under way or just ended. */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const [key, own] of this.owns) if (!keys.has(key) && !own.busy && this.now() >= own.quietUntil) this.owns.delete(key);
  }

  private ownOf(key: string): Own {
    let own = this.owns.get(key);
    if (!own) this.owns.set(key, (own = { busy: false, generation: 0, quietUntil: 0, told: false }));
    return own;
  }
}
