/**
 * `spire run` with no engine running runs its runs in its own process, over
 * the data folder's store. An engine started meanwhile must not take those
 * runs up as left by a dead engine: it interrupted them (and killed their
 * processes), their owner went on and recorded them again, and a review saw
 * one run end interrupted, fire its `after: failure` pipeline, then end
 * succeeded.
 *
 * So such a process says so, in the data folder's in-process/ folder: a
 * file named for its pid that holds, on its first line, its owner line (as a
 * supervisor's pid file, pid-file.ts) and the time it began in ms since the
 * epoch (written before its first run is made), then the id of each run it
 * makes. An engine leaves alone the runs a live one lists, and those made a
 * moment ago since a live one began (one not listed yet), and takes them up
 * once that process has ended (engine-recovery.ts). A file whose process
 * has ended is removed by the next engine that looks.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ownerAlive, ownOwnerLine, parseOwnerLine } from "../../exec/supervisor/pid-file.js";
import { PRIVATE_DIR_MODE, writePrivateFileSync } from "../../files/private.js";
import type { RunRow, Store } from "../../store/port.js";

const FOLDER = "in-process";

/** This process's file: made at the first run it starts, removed when it closes. */
export class InProcessMark {
  private file: string | undefined;
  private lines: string[] = [];

  constructor(private readonly dataDir: string) {}

  /** Before a run is made: an engine starting from now on leaves runs made since alone while this process lives. */
  beginning(): void {
    if (this.file !== undefined) return;
    const folder = join(this.dataDir, FOLDER);
    mkdirSync(folder, { recursive: true, mode: PRIVATE_DIR_MODE });
    this.file = join(folder, String(process.pid));
    this.lines = [`${ownOwnerLine()} ${Date.now()}`];
    this.write();
  }

  /** A run this process made and runs. */
  made(runId: string): void {
    if (this.file === undefined) return;
    this.lines.push(runId);
    this.write();
  }

  release(): void {
    if (this.file !== undefined) rmSync(this.file, { force: true });
    this.file = undefined;
  }

  /** Whole, at once (a new file renamed over the old): a reader never sees half of it, nor a file without its first line. */
  private write(): void {
    writePrivateFileSync(this.file!, `${this.lines.join("\n")}\n`);
  }
}

/** What live `spire run` processes hold: the runs they listed, and since when the earliest began (undefined: none lives). */
export interface InProcessRuns {
  /** The pid of the process that runs each. */
  listed: Map<string, number>;
  since: number | undefined;
}

/** Reads the data folder's in-process/ files; those of ended processes are removed. */
export function inProcessRuns(dataDir: string): InProcessRuns {
  const folder = join(dataDir, FOLDER);
  const found: InProcessRuns = { listed: new Map(), since: undefined };
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return found; // no such folder: no spire run ever ran here
  }
  for (const name of names) {
    const file = join(folder, name);
    let lines: string[];
    try {
      lines = readFileSync(file, "utf8").split("\n");
    } catch {
      continue; // removed meanwhile
    }
    const parsed = parseOwnerLine(lines[0] ?? "");
    // A name of another shape (a file being written under a temporary name) is not one of these.
    if (parsed === undefined || String(parsed.owner.pid) !== name || parsed.owner.pid === process.pid) continue;
    const { owner, rest: [began] } = parsed;
    if (!ownerAlive(owner)) {
      rmSync(file, { force: true });
      continue;
    }
    for (const id of lines.slice(1)) if (id !== "") found.listed.set(id, owner.pid);
    const since = Number(began);
    if (Number.isFinite(since)) found.since = Math.min(found.since ?? since, since);
  }
  return found;
}

/** A process lists a run it made right after making it: one made longer ago and not listed is not its. */
const UNLISTED_FOR_MS = 10_000;

/** Whether a live `spire run` may be running this run: it lists it, or the run was made since one began, a moment ago. */
export function heldInProcess(held: InProcessRuns, run: { id: string; created_at: number }, now: number): boolean {
  if (held.listed.has(run.id)) return true;
  return held.since !== undefined && run.created_at >= held.since && now - run.created_at < UNLISTED_FOR_MS;
}

/** What other live `spire run` processes hold of a pipeline: how many of its runs they run, and the runs they hold queued ahead of one. */
export interface HeldElsewhere {
  running: number;
  waiting: { id: string; partition: string | null }[];
}

/**
 * The runs of `run`'s pipeline that other live `spire run` processes run, or
 * hold queued ahead of it (made before it). Of those queued, the first ones
 * the pipeline's free places (`concurrency` less those running) let start
 * count as running: each process admits its own run, and one seen between
 * its run's creation and its start is on its way to running, not waiting
 * (three started at once with one place to wait refused two, not one).
 */
export async function aheadElsewhere(store: Pick<Store, "listRunsInStates">, dataDir: string, run: RunRow, concurrency: number, now: number): Promise<HeldElsewhere> {
  const held = inProcessRuns(dataDir);
  if (held.since === undefined) return { running: 0, waiting: [] };
  let running = 0;
  const ahead: RunRow[] = [];
  for (const other of await store.listRunsInStates(["queued", "running"])) {
    if (other.id === run.id || other.namespace !== run.namespace || other.pipeline !== run.pipeline || !heldInProcess(held, other, now)) continue;
    if (other.state === "running") running++;
    else if (madeBefore(other, run)) ahead.push(other);
  }
  ahead.sort((a, b) => (madeBefore(a, b) ? -1 : 1));
  const starting = ahead.splice(0, Math.max(0, concurrency - running)).length;
  return { running: running + starting, waiting: ahead.map(({ id, partition }) => ({ id, partition })) };
}

/** Whether `a` was made before `b`: its creation time, then its id, decide. */
function madeBefore(a: Pick<RunRow, "created_at" | "id">, b: Pick<RunRow, "created_at" | "id">): boolean {
  return a.created_at < b.created_at || (a.created_at === b.created_at && a.id < b.id);
}
