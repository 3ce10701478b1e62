/**
 * What an `after` trigger follows: `pipeline: name` is in the follower's own
 * namespace, `pipeline: ns/name` in another. One rule for the engine that
 * starts followers, the apply that warns about them, and `spire rm`.
 */
import type { PipelineDef } from "./schema.js";

/** The `namespace/name` an `after` trigger of a pipeline in `namespace` follows. */
export function upstreamKey(namespace: string, reference: string): string {
  return reference.includes("/") ? reference : `${namespace}/${reference}`;
}

/** Of `pipelines`, those with an `after` trigger that follows `followed` (`namespace/name`), each with how it names it. */
export function followersOf(
  pipelines: Iterable<{ namespace: string; name: string; triggers: PipelineDef["triggers"] }>,
  followed: string,
): { namespace: string; name: string; reference: string }[] {
  const found: { namespace: string; name: string; reference: string }[] = [];
  for (const pipeline of pipelines) {
    for (const trigger of pipeline.triggers) {
      if (trigger.after && upstreamKey(pipeline.namespace, trigger.after.pipeline) === followed) {
        found.push({ namespace: pipeline.namespace, name: pipeline.name, reference: trigger.after.pipeline });
      }
    }
  }
  return found;
}

/** What to do about a follower of a pipeline that is gone. */
export function followerHint(follower: { namespace: string; name: string }): string {
  return `if it was renamed, change that trigger's pipeline: to the new name in ${follower.namespace}/${follower.name}'s file and apply that file again`;
}

/** A follower of a pipeline that is gone, in words: what its trigger does now. */
export function followerWords(follower: { namespace: string; name: string; reference: string }): string {
  return `${follower.namespace}/${follower.name} follows it (after: { pipeline: ${follower.reference} }): that trigger starts nothing until a pipeline of that name is applied again`;
}
