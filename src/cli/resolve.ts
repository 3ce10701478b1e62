/** What a person types for a pipeline or a run, turned into what the engine knows, with a did-you-mean when it is not there. */
import type { SpireClient } from "../client/port.js";
import { suggest } from "../definitions/suggest.js";
import { CliError, EXIT } from "./errors.js";

export interface PipelineRef {
  namespace: string;
  name: string;
}

/** A NAME in several namespaces: the command cannot guess which is meant. */
export class AmbiguousPipeline extends CliError {
  constructor(message: string, hint: string) {
    super(message, EXIT.usage, hint);
  }
}

/** What `NS/NAME` (or NAME with `--ns`) names: the namespace when one is given, and the name. */
export function pipelineNamed(given: string, ns?: string): { namespace: string | undefined; name: string } {
  const slash = given.indexOf("/");
  return slash > 0 ? { namespace: given.slice(0, slash), name: given.slice(slash + 1) } : { namespace: ns, name: given };
}

/** `NS/NAME`, or a NAME that is unique across namespaces (or in `ns`). */
export async function resolvePipeline(client: SpireClient, given: string, ns?: string): Promise<PipelineRef> {
  const { namespace, name } = pipelineNamed(given, ns);
  const pipelines = await client.listPipelines(namespace);
  const matches = pipelines.filter((pipeline) => pipeline.name === name);
  if (matches.length === 1) return { namespace: matches[0]!.namespace, name };
  if (matches.length > 1) {
    // NS/NAME works with every command; not every command has --ns.
    throw new AmbiguousPipeline(`${name} is in several namespaces: ${matches.map((p) => p.namespace).join(", ")}`, `Say which: ${matches.map((p) => `${p.namespace}/${name}`).join(" or ")}`);
  }
  const where = namespace !== undefined ? ` in namespace ${namespace}` : "";
  const close = suggest(name, pipelines.map((pipeline) => pipeline.name));
  const elsewhere = namespace !== undefined ? (await client.listPipelines()).filter((pipeline) => pipeline.name === name) : [];
  const hint =
    close !== undefined
      ? `Did you mean ${namespace !== undefined ? `${namespace}/` : ""}${close}? (see them all with: spire ls)`
      : elsewhere.length > 0
        ? `It is in: ${elsewhere.map((p) => `${p.namespace}/${p.name}`).join(", ")}`
        : pipelines.length === 0 && namespace === undefined
          ? "There are no pipelines yet: add some with spire apply -f spire.yaml"
          : "See them with: spire ls";
  throw new CliError(`no pipeline named ${name}${where}`, EXIT.usage, hint);
}

const RUN_ID = /^[0-9a-z]{1,32}$/;

/**
 * A full run id, a unique prefix of one, or `last` — the newest run, or the
 * newest of `pipeline` when one is given (`spire show last backup`).
 */
export async function resolveRun(client: SpireClient, given: string, pipeline?: PipelineRef, command = "show"): Promise<string> {
  if (given === "last" || given === "latest") {
    const { runs } = await client.listRuns({ limit: 1, ...(pipeline ? { namespace: pipeline.namespace, pipeline: pipeline.name } : {}) });
    if (runs[0]) return runs[0].id;
    if (pipeline) throw new CliError(`${pipeline.namespace}/${pipeline.name} has no runs yet`, EXIT.usage, `Start one with: spire run ${pipeline.namespace}/${pipeline.name}`);
    throw new CliError("there are no runs yet", EXIT.usage, "Start one with: spire run -f spire.yaml");
  }
  if (pipeline) throw new CliError(`a pipeline goes with last, not with a run id (${given})`, EXIT.usage, `For example: spire ${command} last ${pipeline.namespace}/${pipeline.name}`);
  if (!RUN_ID.test(given)) throw new CliError(`"${given}" is not a run id`, EXIT.usage, "Run ids look like 01jbx4k2m9qz3v7c, or say last; see them with: spire runs");
  const { runs } = await client.listRuns({ idPrefix: given, limit: 2 });
  const ids = runs.map((run) => run.id);
  if (ids.includes(given)) return given;
  if (ids.length === 0) throw new CliError(`no run with id ${given}`, EXIT.usage, "See the run history with: spire runs");
  if (ids.length > 1) throw new CliError(`the id prefix ${given} is ambiguous (${ids.join(", ")}, …)`, EXIT.usage, "Give more characters of the id.");
  return ids[0]!;
}
