/**
 * "Run…": a form built from the pipeline's args (GET /pipelines/{ns}/{name}
 * has them), checked before sending; the engine's 422 shown beside the
 * field it names; on success, the new run's page.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, detailLines, messageOf } from "../../api/api-error";
import { getPipeline, startRun } from "../../api/pipelines";
import type { PipelineDetail, PipelineSummary } from "../../api/types";
import { runCommand, secretVariable } from "../../cli/commands";
import { CopyCli } from "../../components/copy-cli";
import { Dialog } from "../../components/dialog";
import { navigate } from "../../router/router";
import { paths } from "../../router/routes";
import { ArgInput } from "./arg-input";
import { argFields, argsToSend, checkValues, errorsByField, fieldId, initialValues, type ArgField, type FormValues } from "./args-form";

export function RunDialog({ pipeline, onClose }: { pipeline: PipelineSummary; onClose: () => void }) {
  const label = `${pipeline.namespace}/${pipeline.name}`;
  const [detail, setDetail] = useState<PipelineDetail | undefined>();
  const [loadError, setLoadError] = useState<unknown>();

  useEffect(() => {
    const abort = new AbortController();
    getPipeline(pipeline.namespace, pipeline.name, abort.signal).then(setDetail, (error: unknown) => {
      if (!abort.signal.aborted) setLoadError(error);
    });
    return () => abort.abort();
  }, []);

  return (
    <Dialog title={`Run ${label}`} onClose={onClose} description={pipeline.description ?? undefined}>
      {loadError !== undefined ? (
        <p class="notice notice--error" role="alert">
          {messageOf(loadError)}
        </p>
      ) : !detail ? (
        <p role="status">Loading its arguments…</p>
      ) : (
        <RunForm pipeline={pipeline} fields={argFields(detail.definition.args)} onClose={onClose} />
      )}
    </Dialog>
  );
}

function RunForm({ pipeline, fields, onClose }: { pipeline: PipelineSummary; fields: ArgField[]; onClose: () => void }) {
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<{ message: string; lines: string[] } | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const secrets = new Set(fields.filter((field) => field.def.secret).map((field) => field.name));
  const command = runCommand(pipeline.namespace, pipeline.name, argsToSend(fields, values), secrets);

  // The dialog opened before the arguments came, with nothing to focus but its close button: now its first field (or Start run) takes the focus.
  useEffect(() => {
    const active = document.activeElement;
    if (active && active !== document.body && !active.matches(".dialog__close")) return;
    (form.current?.querySelector<HTMLElement>("input, select, textarea") ?? form.current?.querySelector<HTMLElement>("button[type=submit]"))?.focus();
  }, []);

  function change(name: string, value: string | boolean) {
    setValues((old) => ({ ...old, [name]: value }));
    // A field's complaint goes once it is changed; it comes back at the next submit if still true.
    if (errors[name]) setErrors(({ [name]: _gone, ...rest }) => rest);
  }

  async function submit(event: Event) {
    event.preventDefault();
    const found = checkValues(fields, values);
    setErrors(found);
    setFormError(null);
    if (Object.keys(found).length > 0) {
      focusField(Object.keys(found)[0]!);
      return;
    }
    setBusy(true);
    try {
      const run = await startRun(pipeline.namespace, pipeline.name, argsToSend(fields, values));
      onClose();
      navigate(paths.run(run.id));
    } catch (failure) {
      setBusy(false);
      if (failure instanceof ApiError && (failure.code === "invalid_args" || failure.status === 400 || failure.status === 422)) {
        const { byField, other } = errorsByField(detailLines(failure.details), fields);
        setErrors(byField);
        setFormError(other.length > 0 || Object.keys(byField).length === 0 ? { message: failure.message, lines: other } : null);
        const first = Object.keys(byField)[0];
        if (first) focusField(first);
      } else setFormError({ message: messageOf(failure), lines: [] });
    }
  }

  return (
    <form ref={form} onSubmit={submit} noValidate>
      {formError && (
        <div class="notice notice--error" role="alert">
          {formError.message}
          {formError.lines.length > 0 && (
            <ul class="notice__details">
              {formError.lines.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {fields.length === 0 ? (
        <p>This pipeline takes no arguments.</p>
      ) : (
        fields.map((field) => (
          <ArgInput key={field.name} field={field} value={values[field.name] ?? ""} error={errors[field.name]} onChange={(value) => change(field.name, value)} />
        ))
      )}
      {secrets.size > 0 && (
        <p class="field__hint">
          The copied command reads secret values from shell variables ({[...secrets].map((name) => `$${secretVariable(name)}`).join(", ")}), so they stay out of your shell's history.
        </p>
      )}
      <div class="dialog__actions">
        <button type="submit" class="button button--primary" disabled={busy}>
          {busy ? "Starting…" : "Start run"}
        </button>
        <button type="button" class="button" onClick={onClose}>
          Cancel
        </button>
        <CopyCli command={command} />
      </div>
    </form>
  );
}

function focusField(name: string): void {
  document.getElementById(fieldId(name))?.focus();
}
