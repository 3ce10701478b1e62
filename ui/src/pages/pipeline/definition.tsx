/** The pipeline's definition as the engine holds it (normalised, durations in ms), as YAML; and where it came from. */
import { useMemo } from "preact/hooks";
import type { PipelineDetail } from "../../api/types";
import { RelativeTime } from "../../components/time-label";
import { userAtHost } from "../../format/origin";
import { CopyButton } from "../engine/copy-button";
import type { NamespaceInfo } from "./api";
import { toYaml } from "./yaml";

/** Where its namespace was last applied from (the pipeline's own origin, as GET /pipelines/{ns}/{name} gives it). */
export function Origin({ namespace }: { namespace: NamespaceInfo | null }) {
  return (
    <section class="panel" aria-labelledby="origin-title">
      <h2 id="origin-title">Origin</h2>
      {namespace === null ? (
        <p class="muted">The engine has no record of this namespace's origin.</p>
      ) : (
        <dl class="facts">
          <div>
            <dt>Namespace</dt>
            <dd>{namespace.name}</dd>
          </div>
          <div>
            <dt>File</dt>
            <dd>{namespace.origin.path ? <code>{namespace.origin.path}</code> : <span class="muted">not a file (applied through the API)</span>}</dd>
          </div>
          <div>
            <dt>Host</dt>
            <dd>{userAtHost(namespace.origin) ?? <span class="muted">not given</span>}</dd>
          </div>
          <div>
            <dt>Author</dt>
            <dd>{namespace.origin.author ?? <span class="muted">not given</span>}</dd>
          </div>
          <div>
            <dt>Applied</dt>
            <dd>
              <RelativeTime time={namespace.origin.applied_at} />
            </dd>
          </div>
        </dl>
      )}
    </section>
  );
}

/** A newer engine sends the pipeline's own lines of the file it came from (or the normalised definition written out, for other formats). */
type WithYaml = PipelineDetail & { definition_yaml?: string; definition_yaml_from?: "source" | "normalised"; definition_line?: number | null };

export function Definition({ pipeline, file }: { pipeline: WithYaml; file: string | null | undefined }) {
  const own = typeof pipeline.definition_yaml === "string" ? pipeline.definition_yaml : undefined;
  const yaml = useMemo(() => own ?? toYaml(pipeline.definition), [own, pipeline.definition]);
  const fromSource = own !== undefined && pipeline.definition_yaml_from === "source";
  return (
    <section class="panel panel--wide" aria-labelledby="definition-title">
      <div class="panel__head">
        <h2 id="definition-title">Definition</h2>
        <CopyButton
          text={yaml}
          label="Copy YAML"
          onManual={() => {
            const pre = document.getElementById("definition-yaml");
            if (pre) getSelection()?.selectAllChildren(pre);
          }}
        />
      </div>
      <p class="muted">
        {fromSource
          ? `As written in ${file ?? "its file"}${pipeline.definition_line ? `, from line ${pipeline.definition_line}` : ""}, when it was last applied.`
          : "As the engine holds it: normalised, with defaults filled in and durations in milliseconds."}
      </p>
      {/* A scrolling region that can take the focus, so it can be scrolled by keyboard. */}
      <pre id="definition-yaml" class="definition" tabIndex={0} aria-label={`Definition of ${pipeline.namespace}/${pipeline.name}, YAML`}>
        <code>{yaml}</code>
      </pre>
    </section>
  );
}
