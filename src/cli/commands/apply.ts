/** `spire apply -f FILE`: validate, then upsert into the engine's namespace; prints the change set. */
import pc from "picocolors";
import { defaultNamespace, originOf } from "../../definitions/namespace.js";
import { withClient, type Target } from "../connect.js";
import { displayName, loadFileOrFail } from "../context.js";
import type { DefinitionsFormat } from "../../definitions/compat/format.js";
import { fileAndEngineWarnings, printWarnings } from "../definition-warnings.js";
import { defaultDefinitionsFile } from "../../definitions/script/files.js";

export async function applyCommand(options: Target & { file?: string; ns?: string; prune?: boolean; dryRun?: boolean; json?: boolean; format?: DefinitionsFormat; allowHttpFile?: boolean }): Promise<void> {
  const file = options.file ?? defaultDefinitionsFile();
  // Checked here first, as spire validate does: only here can the files it names (env_file, scripts) be seen.
  const { path, text, warnings: checked } = await loadFileOrFail(file, options.format, { notDone: "Nothing was applied.", allowHttpFile: options.allowHttpFile === true });
  const origin = originOf(path);
  const { change: answered, inProcess } = await withClient(options, async (client) => ({
    change: await client.apply({
      text,
      fileName: displayName(file),
      ...(options.ns ? { namespace: options.ns } : {}),
      defaultNamespace: defaultNamespace(origin.host, origin.user, path),
      prune: options.prune === true,
      dryRun: options.dryRun === true,
      origin,
    }),
    inProcess: client.location.kind === "in-process",
  }));
  // What spire validate warns about, and what only the engine can: each once.
  const change = { ...answered, warnings: fileAndEngineWarnings(checked, answered.warnings) };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(change, null, 2)}\n`);
    return;
  }
  const verb = change.dry_run ? "would be" : "";
  process.stdout.write(`${change.dry_run ? pc.yellow("dry run: nothing applied\n") : ""}namespace ${pc.bold(change.namespace)}\n`);
  const section = (label: string, names: string[], mark: string, paint: (text: string) => string) => {
    for (const name of names) process.stdout.write(`  ${paint(`${mark} ${name}`)}  ${pc.dim(`${verb} ${label}`.trim())}\n`);
  };
  section("created", change.created, "+", pc.green);
  section("changed", change.changed, "~", pc.yellow);
  section("removed", change.removed, "-", pc.red);
  section("unchanged", change.unchanged, "=", pc.dim);
  process.stdout.write(pc.dim(`${change.created.length} created, ${change.changed.length} changed, ${change.unchanged.length} unchanged, ${change.removed.length} removed\n`));
  printWarnings(change.warnings);
  if (inProcess && !change.dry_run) process.stdout.write(pc.yellow("no engine is running: kept in the data folder; triggers fire once one runs (spire engine)\n"));
}
