/**
 * The ways a run is started: by a person or a program (startRun), by a
 * webhook, a watched path or another run ending (startTriggeredRun), as a
 * retry of an earlier run, and by a time trigger's slot (prepareScheduled,
 * made ahead of the slot). Each stores the run, audits who asked, and
 * admits it to its pipeline's queue.
 */
import { seedOf } from "./seed.js";
import type { PipelineDef } from "../../definitions/schema.js";
import type { DefinitionSeen, EventRow, NamespaceRow, PipelineRow, RunRow, Store, TaskRunRow } from "../../store/port.js";
import { DefinitionChangedError } from "../../store/errors.js";
import type { EngineLogger } from "../engine.js";
import type { RememberedDefinitions } from "../pipelines/remembered-definitions.js";
import { planOfRun, rememberRunPlan, toRunObject, type RunObject } from "../reads/run-object.js";
import { createFollowerRun } from "../triggers/after-triggers.js";
import { outsideWindow, type TriggeredStart } from "../triggers/event-triggers.js";
import type { NoRun, ScheduledStart, SlotRun } from "../triggers/scheduler.js";
import { notFoundPipeline, ServiceError, type Actor, type StartRunRequest } from "../service.js";
import { newRunId } from "./ids.js";
import { chainDepth, MAX_RUN_CHAIN } from "./run-chain.js";
import type { PreparedRun } from "./prepared-run.js";
import { keptForRetry } from "./retry.js";
import type { RunQueues } from "./run-queues.js";
import { prepareRun, RunRequestError, storeNewRun } from "./start-run.js";
import { triggerKey } from "../../store/schedule-keys.js";

export interface RunStartsDeps {
  store: Store;
  runs: RunQueues;
  /** The applied pipelines and namespaces, as this engine last read them. */
  definitions: RememberedDefinitions;
  logger: EngineLogger;
  /** Where `secrets:` are read from (the engine's own environment). */
  environment: Record<string, string | undefined>;
  /** The zone of triggers without `timezone`. */
  defaultZone: string;
  now: () => number;
  baseDirOf(namespace: string): Promise<string>;
  /** Where relative paths of a namespace's definitions point from (see Engine.baseDirOf). */
  baseDirFrom(namespace: NamespaceRow | undefined): string;
  publish(events: EventRow[]): void;
  getRun(id: string): Promise<RunObject>;
  /** Watches a run for changes (RunObjectCache.watch): the function returned says how many times it changed meanwhile. */
  watchRun(id: string): () => number;
  storedRun(id: string): Promise<{ run: RunRow; tasks: TaskRunRow[] }>;
  refuseWhileDraining(): void;
  /** A slot's run was refused: its trigger counts it as ended now. */
  scheduledRunEnded(namespace: string, name: string, triggerKey: string, at: number): void;
}

export class RunStarts {
  private readonly madeOnce = new WeakMap<ScheduledStart["row"], Map<string, Awaited<ReturnType<typeof prepareRun>>>>();

  constructor(private readonly deps: RunStartsDeps) {}

  /**
   * A slot's run, made ahead of the slot but not stored: the scheduler stamps
   * it (id, creation time) when the slot fires, stores it with its slot, then
   * admits it. A trigger whose definition reads no env file makes the same
   * run for every slot but the slot itself, so it is made once per applied
   * definition (a new apply gives new rows).
   */
  async prepareScheduled(start: ScheduledStart): Promise<SlotRun | NoRun> {
    const { row, trigger, triggerKey, slot } = start;
    const scheduled = { kind: trigger.kind, scheduled_at: new Date(slot).toISOString(), trigger_key: triggerKey };
    try {
      const namespace = await this.deps.definitions.namespace(row.namespace);
      const made =
        this.madeOnce.get(row)?.get(triggerKey) ??
        (await prepareRun({
          namespace: row.namespace,
          pipelineName: row.name,
          pipeline: row.definition as PipelineDef,
          args: trigger.args ?? {},
          trigger: scheduled,
          baseDir: this.deps.baseDirFrom(namespace),
          secretSource: this.deps.environment,
          now: this.deps.now(),
        }));
      if (made.prepared.envFiles.size === 0) this.madeOnce.set(row, (this.madeOnce.get(row) ?? new Map()).set(triggerKey, made));
      let prepared = made.prepared;
      return {
        madeFrom: this.deps.definitions.seen(row, namespace, { paused: false }),
        stamp: (now) => {
          prepared = { ...made.prepared, run: { ...made.prepared.run, id: newRunId(now), created_at: now, trigger: scheduled } };
          rememberRunPlan(prepared.run.id, prepared.plan);
          return { run: prepared.run, event: { ...made.event, run_id: prepared.run.id, ts: now, data: { ...made.event.data, trigger: scheduled } } };
        },
        admit: async (created) => {
          this.deps.publish([created]);
          // A refused slot (queue full) is recorded as a skipped run with its reason; a fixed delay counts from now,
          // as if that run had finished at once (else its trigger would wait for a run that never comes).
          // Nobody waits for a scheduled run's object: admit() alone, not admitRun().
          await this.deps.runs.admit(prepared).catch((error) => {
            if (!(error instanceof ServiceError)) throw error;
            this.deps.logger.warn({ run: prepared.run.id, reason: error.message }, "scheduled run not started");
            this.deps.scheduledRunEnded(row.namespace, row.name, triggerKey, this.deps.now());
          });
        },
      };
    } catch (error) {
      if (!(error instanceof RunRequestError)) throw error;
      this.deps.logger.warn({ pipeline: `${row.namespace}/${row.name}`, slot: new Date(slot).toISOString(), error: error.message, details: error.details }, "a scheduled run could not be made");
      return { error: [error.message, ...error.details].join(": ") };
    }
  }

  async startRun(actor: Actor, namespace: string, name: string, request: StartRunRequest): Promise<RunObject> {
    this.deps.refuseWhileDraining();
    const chain = request.causedBy !== undefined ? await this.chainFrom(request.causedBy, namespace, name) : {};
    return this.fromDefinition(namespace, name, ({ row, baseDir, seen }) =>
      storeNewRun(
        this.deps.store,
        {
          namespace,
          pipelineName: name,
          pipeline: row.definition as PipelineDef,
          args: request.args,
          trigger: { kind: "manual", scheduled_at: null, actor: actor.name, ...chain },
          baseDir,
          partition: request.partition ?? null,
          ...(request.seed !== undefined ? { seed: request.seed } : {}),
          secretSource: this.deps.environment,
          now: this.deps.now(),
        },
        { madeFrom: seen(), audit: { actor: actor.name, action: "run.start", target: `${namespace}/${name}` }, ...this.placing(row.definition as PipelineDef) },
      ),
    );
  }

  /**
   * A run asked for from inside run `causedBy` (its task or notify command): one more in that run's chain,
   * refused past MAX_RUN_CHAIN. A run not there (removed since, or a made-up id) starts no chain.
   */
  private async chainFrom(causedBy: string, namespace: string, name: string): Promise<{ caused_by?: string; depth?: number }> {
    const cause = (await this.deps.store.getRun(causedBy))?.run;
    if (!cause) return {};
    const depth = chainDepth(cause) + 1;
    if (depth > MAX_RUN_CHAIN) {
      throw new ServiceError("conflict", `run refused: ${namespace}/${name} was asked for from inside run ${causedBy}, the end of a chain of ${MAX_RUN_CHAIN} runs each started by the one before; do pipelines start each other (or themselves) from a task or a notify command?`, {
        caused_by: causedBy,
        depth,
        hint: "a task or notify command that starts its own pipeline loops for ever: to repeat a pipeline, give it a trigger `every: …` with `after_finish: true`",
      });
    }
    return { caused_by: causedBy, depth };
  }

  async startHookRun(namespace: string, name: string, args: Record<string, unknown>): Promise<RunObject> {
    const row = await this.deps.definitions.pipeline(namespace, name);
    if (!row) throw notFoundPipeline(namespace, name);
    const hook = (row.definition as PipelineDef).triggers.findIndex((trigger) => trigger.kind === "webhook");
    if (hook < 0) throw new ServiceError("not_found", `${namespace}/${name} has no webhook trigger`, { hint: "add `- webhook: true` to its triggers" });
    return this.startTriggeredRun({ namespace, name, index: hook, kind: "webhook", actor: "webhook", args });
  }

  /**
   * The one way an event trigger (webhook, watch, after) starts a run: the
   * trigger's own args, then the caller's; refused while the pipeline is
   * paused or outside the trigger's start/end; then admitted like any run.
   */
  async startTriggeredRun(start: TriggeredStart): Promise<RunObject> {
    this.deps.refuseWhileDraining();
    const { namespace, name, index, kind } = start;
    return this.fromDefinition(namespace, name, async ({ row, baseDir, seen }) => {
      const definition = row.definition as PipelineDef;
      const trigger = definition.triggers[index];
      // The definition may have changed since the event: a trigger that is gone starts nothing.
      if (trigger?.kind !== kind) throw new ServiceError("conflict", `${namespace}/${name} no longer has this ${kind} trigger`);
      if (row.paused) throw new ServiceError("conflict", `${namespace}/${name} is paused: its triggers do not start runs`, { hint: `spire resume ${namespace}/${name}` });
      const outside = outsideWindow(trigger, this.deps.defaultZone, this.deps.now());
      if (outside !== undefined) throw new ServiceError("conflict", `${namespace}/${name} does not start now: ${outside}`);
      const request = {
        namespace,
        pipelineName: name,
        pipeline: definition,
        args: { ...(trigger.args ?? {}), ...(start.args ?? {}) },
        trigger: { kind, scheduled_at: new Date(this.deps.now()).toISOString(), trigger_key: triggerKey(index, kind), ...start.details },
        baseDir,
        secretSource: this.deps.environment,
        now: this.deps.now(),
      };
      // Only while it is still not paused: a pause that came meanwhile (through another engine) stops it.
      const options = { madeFrom: seen({ paused: false }), audit: { actor: start.actor, action: "run.start", target: `${namespace}/${name}` } };
      // A follower's run is stored with its claim: made once per finished run, whichever engine makes it.
      if (start.follows === undefined) return storeNewRun(this.deps.store, request, { ...options, ...this.placing(definition) });
      return createFollowerRun(this.deps.store, request, { source_run: start.follows, namespace, pipeline: name, trigger_key: triggerKey(index, kind) }, options);
    });
  }

  async retryRun(actor: Actor, id: string, request: { from?: string }): Promise<RunObject> {
    this.deps.refuseWhileDraining();
    const original = await this.deps.storedRun(id);
    if (original.run.state === "running" || original.run.state === "queued") {
      throw new ServiceError("conflict", `run ${id} is still ${original.run.state}; cancel it or wait for it to end before retrying`);
    }
    const definition = original.run.definition as PipelineDef;
    const secretArgs = Object.entries(definition.args).filter(([, def]) => "secret" in def && def.secret).map(([name]) => name);
    if (secretArgs.length > 0) {
      throw new ServiceError("conflict", `run ${id} took secret arguments (${secretArgs.join(", ")}), which are not stored: start a new run with them instead of retrying`);
    }
    const plan = planOfRun(original.run);
    if (!plan) throw new ServiceError("conflict", `run ${id} was made with a definition this engine cannot plan`);
    const kept = keptForRetry(plan, original.tasks, request.from);
    if ("error" in kept) throw new ServiceError("bad_request", kept.error);
    const baseDir = await this.deps.baseDirOf(original.run.namespace);
    const prepared = await this.prepare(() =>
      storeNewRun(
        this.deps.store,
        {
          namespace: original.run.namespace,
          pipelineName: original.run.pipeline,
          pipeline: definition,
          args: original.run.args,
          trigger: { kind: "retry", scheduled_at: original.run.trigger.scheduled_at ?? null, of: id, ...(request.from ? { from: request.from } : {}) },
          baseDir,
          partition: original.run.partition,
          // The same seed: a failure replays.
          seed: seedOf(original.run),
          secretSource: this.deps.environment,
          now: this.deps.now(),
        },
        { audit: { actor: actor.name, action: "run.retry", target: id, details: { from: request.from ?? null } }, ...this.placing(definition) },
      ),
    );
    prepared.kept = kept.kept;
    return this.admitRun(prepared);
  }

  /** A new run of `pipeline` takes its queue place as it is stored, where a place alone admits it (RunQueues.placeUnder). */
  private placing(pipeline: PipelineDef): { placeUnder?: number } {
    const under = this.deps.runs.placeUnder(pipeline);
    return under === undefined ? {} : { placeUnder: under };
  }

  /**
   * Makes a run of an applied pipeline from its definition as remembered
   * (RememberedDefinitions), stored only if the store still has that
   * definition; when it changed meanwhile, from the store's, read again.
   * Then admits it: a run stored by its first write (UnstoredRun) learns
   * only there that its definition changed.
   */
  private async fromDefinition(
    namespace: string,
    name: string,
    make: (from: { row: PipelineRow; baseDir: string; seen: (options?: { paused?: boolean }) => DefinitionSeen }) => Promise<{ prepared: PreparedRun; created?: EventRow }>,
  ): Promise<RunObject> {
    const { definitions } = this.deps;
    for (let attempt = 1; ; attempt++) {
      const [row, namespaceRow] = await Promise.all([definitions.pipeline(namespace, name), definitions.namespace(namespace)]);
      if (!row) throw notFoundPipeline(namespace, name);
      try {
        const prepared = await this.prepare(() => make({ row, baseDir: this.deps.baseDirFrom(namespaceRow), seen: (options) => definitions.seen(row, namespaceRow, options) }));
        return await this.admitRun(prepared);
      } catch (error) {
        if (!(error instanceof DefinitionChangedError)) throw error;
        definitions.forget();
        // Changed again each time it was read: someone applies it over and over.
        if (attempt === 3) throw new ServiceError("conflict", `${namespace}/${name} changed while the run was being made: start it again`);
      }
    }
  }

  /** Stores a new run, and tells who follows runs of its `run.created` (a run its first write stores tells it then). */
  private async prepare(make: () => Promise<{ prepared: PreparedRun; created?: EventRow }>): Promise<PreparedRun> {
    try {
      const { prepared, created } = await make();
      if (created) this.deps.publish([created]);
      return prepared;
    } catch (error) {
      if (error instanceof RunRequestError) {
        throw new ServiceError(error.code === "bad_args" ? "invalid_args" : "invalid_definitions", error.message, error.details);
      }
      throw error;
    }
  }

  /**
   * Admits a stored run (or one its first write stores) and answers with
   * its object; a refusal says which run it recorded as skipped. While
   * nothing more of the run has been stored than the engine knows of (its
   * creation, or its creation and start in one write), the object is made
   * from that, without a read of the store: the same object a read would
   * give, for one statement less per run.
   */
  private async admitRun(prepared: PreparedRun): Promise<RunObject> {
    const { unstored } = prepared;
    const changes = this.deps.watchRun(prepared.run.id);
    try {
      await this.deps.runs.admit(prepared);
    } catch (error) {
      changes();
      if (error instanceof ServiceError && error.code === "queue_full") throw new ServiceError(error.code, error.message, { run: await this.deps.getRun(prepared.run.id) });
      throw error;
    }
    const told = changes();
    // Its creation alone: told before the watch began, or by a first write that did not start it.
    if (told === (unstored && !unstored.started ? 1 : 0)) return toRunObject(prepared.run, [], prepared.plan);
    const first = unstored?.firstWrite;
    if (first && told === first.told) return toRunObject(first.run, first.tasks, prepared.plan);
    return this.deps.getRun(prepared.run.id);
  }
}
