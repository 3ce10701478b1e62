/**
 * `apply`: validate a definitions file, then upsert its pipelines into one
 * namespace in one transaction, and say what changed. Nothing is applied
 * from a file with any error; warnings are applied with, and said.
 */
import type { DefinitionError } from "../../definitions/errors.js";
import { parseDefinitions, type LoadResult } from "../../definitions/load.js";
import { pipelineSources } from "../../definitions/pipeline-source.js";
import type { PipelineDef, SpireFile } from "../../definitions/schema.js";
import type { PipelineRow, Store } from "../../store/port.js";
import { definitionDigest } from "./digest.js";
import { followerHint, followersOf, followerWords } from "../../definitions/followed.js";
import { ServiceError, type Actor, type ApplyRequest, type ChangeSet } from "../service.js";

/**
 * What an apply did: its change set, and the file's pipelines as they are now
 * stored, each row with the very definition object that was checked (whose
 * plan the check made: plan-cache.ts), for the engine to remember instead of
 * reading them back. None for a dry run.
 */
export interface Applied {
  change: ChangeSet;
  rows: PipelineRow[];
}

export async function applyDefinitions(store: Store, actor: Actor, request: ApplyRequest, now: number, maxTasks?: number): Promise<Applied> {
  const fileName = request.fileName ?? "spire.yaml";
  const parsed = request.checked ?? parseDefinitions(request.text, fileName, { now, ...(maxTasks === undefined ? {} : { maxTasks }) });
  if (!parsed.ok) {
    const count = parsed.errors.length;
    throw new ServiceError("invalid_definitions", `${fileName} has ${count} error${count === 1 ? "" : "s"}; nothing was applied`, parsed.errors);
  }
  const file = parsed.file;
  const namespace = request.namespace ?? file.namespace ?? request.defaultNamespace;
  if (namespace === undefined) {
    throw new ServiceError("bad_request", "no namespace: set `namespace:` in the file or pass one (spire apply --ns NAME)");
  }
  const existing = new Map((await store.listPipelines(namespace)).map((row) => [row.name, row]));
  const warnings = [...parsed.warnings, ...(await unknownFollowed(store, parsed, namespace, existing))];
  const change: ChangeSet = { namespace, created: [], changed: [], unchanged: [], removed: [], dry_run: request.dryRun, warnings };
  const upserts: PipelineRow[] = [];
  const rows: PipelineRow[] = [];
  const sources = pipelineSources(request.text, fileName, Object.keys(file.pipelines));
  for (const [name, definition] of Object.entries(file.pipelines)) {
    const digest = definitionDigest(definition);
    const before = existing.get(name);
    if (!before) change.created.push(name);
    else if (before.digest !== digest) change.changed.push(name);
    else {
      change.unchanged.push(name);
      // The same digest, the same definition: the checked object stands for the stored one.
      rows.push({ ...before, definition });
      continue;
    }
    const row = { namespace, name, definition, digest, paused: before?.paused ?? false, created_at: before?.created_at ?? now, updated_at: now, source: sources.get(name) ?? null };
    upserts.push(row);
    rows.push(row);
  }
  if (request.prune) for (const name of existing.keys()) if (!Object.hasOwn(file.pipelines, name)) change.removed.push(name);
  if (change.removed.length > 0) warnings.push(...(await followersLeft(store, namespace, change.removed, fileName)));
  const known = await store.getNamespace(namespace);
  const mixed = otherFilesPipelines(known?.origin, request.origin, existing, file, request.prune, fileName);
  if (mixed) warnings.push(mixed);
  if (request.dryRun) return { change, rows: [] };

  const author = typeof file.metadata?.author === "string" ? file.metadata.author : actor.name;
  await store.applyNamespace({
    namespace: {
      name: namespace,
      origin: { host: request.origin?.host ?? "", user: request.origin?.user ?? "", path: request.origin?.path ?? null, applied_at: now, author },
      metadata: { ...(file.metadata ?? {}), ...(Object.keys(file.locks).length ? { locks: file.locks } : {}) },
      created_at: known?.created_at ?? now,
      updated_at: now,
    },
    upserts,
    deletes: change.removed,
    audit: { ts: now, actor: actor.name, action: "apply", target: namespace, details: { created: change.created, changed: change.changed, removed: change.removed } },
  });
  return { change, rows };
}

/**
 * A namespace last applied from another file (another path on the same
 * machine), which holds pipelines this file does not have: the file adds to
 * them, it does not replace them, and with --prune it removes them. Said,
 * since two files that use one `namespace:` by mistake mix their pipelines.
 */
function otherFilesPipelines(
  before: { host: string; path: string | null } | undefined,
  now: ApplyRequest["origin"],
  existing: Map<string, PipelineRow>,
  file: SpireFile,
  prune: boolean,
  fileName: string,
): DefinitionError | undefined {
  if (before?.path == null || now?.path == null || before.path === now.path || before.host !== (now.host ?? "")) return undefined;
  const others = [...existing.keys()].filter((name) => !Object.hasOwn(file.pipelines, name));
  if (others.length === 0) return undefined;
  const shown = others.length > 5 ? `${others.slice(0, 5).join(", ")} and ${others.length - 5} more` : others.join(", ");
  return {
    file: fileName,
    line: 0,
    column: 0,
    keyPath: "namespace",
    severity: "warning",
    message: prune
      ? `the namespace was last applied from ${before.path}: its pipelines this file does not have (${shown}) are removed`
      : `the namespace was last applied from ${before.path}: this file's pipelines join its ${shown}, which stay`,
    hint: "give each file a namespace of its own (namespace: at the top) unless they are meant to share one",
  };
}

/**
 * Pipelines of other files whose `after` trigger follows one this apply
 * removes (--prune: often a rename) would start nothing from then on, and
 * nothing else says so: each is named, with what to change.
 */
async function followersLeft(store: Store, namespace: string, removed: readonly string[], fileName: string): Promise<DefinitionError[]> {
  // This namespace's pipelines are the file's now (or removed with it): the file was checked as a whole.
  const others = (await store.listPipelines())
    .filter((row) => row.namespace !== namespace)
    .map((row) => ({ namespace: row.namespace, name: row.name, triggers: (row.definition as PipelineDef).triggers }));
  return removed.flatMap((name) =>
    followersOf(others, `${namespace}/${name}`).map((follower) => ({
      file: fileName,
      line: 0,
      column: 0,
      keyPath: "pipelines",
      severity: "warning" as const,
      message: `${namespace}/${name} is removed, and ${followerWords(follower)}`,
      hint: followerHint(follower),
    })),
  );
}

/**
 * `after: { pipeline: ns/name }` follows a pipeline of another file, which
 * only the engine can look for. One not there yet is a warning, not an
 * error: files that follow each other can then be applied in any order.
 */
async function unknownFollowed(store: Store, parsed: Extract<LoadResult, { ok: true }>, namespace: string, existing: Map<string, PipelineRow>): Promise<DefinitionError[]> {
  const file: SpireFile = parsed.file;
  const known = new Map<string, Set<string>>([[namespace, new Set([...Object.keys(file.pipelines), ...existing.keys()])]]);
  const warnings: DefinitionError[] = [];
  for (const [name, pipeline] of Object.entries(file.pipelines)) {
    for (const [index, trigger] of pipeline.triggers.entries()) {
      const target = trigger.after?.pipeline;
      if (target === undefined || !target.includes("/")) continue;
      const [otherNamespace = "", otherName = ""] = target.split("/");
      let names = known.get(otherNamespace);
      if (names === undefined) known.set(otherNamespace, (names = new Set((await store.listPipelines(otherNamespace)).map((row) => row.name))));
      if (names.has(otherName)) continue;
      warnings.push({
        ...parsed.at(["pipelines", name, "triggers", index, "after", "pipeline"]),
        message: `the engine has no pipeline ${target} yet; this trigger starts nothing until one is applied`,
        hint: "spire ls lists the pipelines the engine has",
        severity: "warning",
      });
    }
  }
  return warnings;
}
