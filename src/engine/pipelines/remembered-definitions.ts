/**
 * The applied definitions a run is made from (its pipeline's row and its
 * namespace's), as this engine last read them: a run started over the API
 * costs no read of the store for them.
 *
 * Forgotten whenever definitions or paused states change, through this
 * engine or another one sharing the store (PipelineBook.refreshTriggers is
 * told of both), and read again when next asked; after an apply here, its
 * own rows are remembered as written (adopt), with the definitions it
 * checked, whose plans the check made (plan-cache.ts). Another engine's change
 * reaches this one a moment later (NOTIFY), so a run is made with what was
 * seen here and stored only if the store still says the same
 * (RunCreation.madeFrom): a change not heard of yet costs one more read,
 * never a run of a definition that is no longer there.
 */
import { thisHost } from "../runs/machine.js";
import { dirname, isAbsolute } from "node:path";
import type { DefinitionSeen, NamespaceRow, PipelineRow, Store } from "../../store/port.js";

export class RememberedDefinitions {
  // Promises, so that requests arriving together share one read; a forget() drops a read under way from memory (its callers still get it).
  private readonly pipelines = new Map<string, Promise<PipelineRow | undefined>>();
  private readonly namespaces = new Map<string, Promise<NamespaceRow | undefined>>();

  /** `dataDir`: where relative paths point from when a namespace's file is not on this machine. */
  constructor(
    private readonly store: Pick<Store, "getPipeline" | "getNamespace">,
    private readonly dataDir: string,
  ) {}

  /** The pipeline's row; undefined when it is not applied (not remembered: the next ask reads again). */
  pipeline(namespace: string, name: string): Promise<PipelineRow | undefined> {
    return remembered(this.pipelines, pipelineKey(namespace, name), () => this.store.getPipeline(namespace, name));
  }

  /** Rows this engine has just written (an apply's): remembered as they are, without a read. */
  adopt(rows: readonly PipelineRow[]): void {
    for (const row of rows) this.pipelines.set(pipelineKey(row.namespace, row.name), Promise.resolve(row));
  }

  namespace(name: string): Promise<NamespaceRow | undefined> {
    return remembered(this.namespaces, name, () => this.store.getNamespace(name));
  }

  /**
   * Relative paths in a definition (cwd, env_file, script) are relative to the
   * file it was applied from, when that file is on this machine; else to the data folder.
   */
  async baseDirOf(namespace: string): Promise<string> {
    return this.baseDirFrom(await this.namespace(namespace));
  }

  baseDirFrom(namespace: NamespaceRow | undefined): string {
    const origin = namespace?.origin;
    return origin?.path && isAbsolute(origin.path) && origin.host === thisHost() ? dirname(origin.path) : this.dataDir;
  }

  /** What a run made from these rows asks the store to check (RunCreation.madeFrom); `paused` when its start depends on it. */
  seen(row: PipelineRow, namespace: NamespaceRow | undefined, options: { paused?: boolean } = {}): DefinitionSeen {
    return { digest: row.digest, namespaceUpdatedAt: namespace?.updated_at ?? null, ...(options.paused !== undefined ? { paused: options.paused } : {}) };
  }

  /** Definitions changed (or may have): everything is read again when next asked. */
  forget(): void {
    this.pipelines.clear();
    this.namespaces.clear();
  }
}

const pipelineKey = (namespace: string, name: string) => `${namespace}\u0000${name}`;

function remembered<T>(memory: Map<string, Promise<T | undefined>>, key: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
  const known = memory.get(key);
  if (known) return known;
  const reading = read();
  memory.set(key, reading);
  // Neither a failed read nor a missing row is kept: names that are not there would fill memory, and the next ask may find them.
  const drop = () => {
    if (memory.get(key) === reading) memory.delete(key);
  };
  reading.then((value) => value === undefined && drop(), drop);
  return reading;
}
