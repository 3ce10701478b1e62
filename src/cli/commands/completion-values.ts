/**
 * `spire __complete NAME [WORDS…] [--data DIR] [--engine URL]`: what a
 * completion script asks for at Tab time, one value a line, then a tab and a
 * description when there is one. WORDS are the arguments typed so far
 * (`tasks` reads its run from them: RUN, or `last [PIPELINE]`; spire logs
 * asks for `tasks-or-pipelines`, as it takes a pipeline after `last`).
 *
 * A Tab press must not wait: the values come from an engine only when one is
 * up (findEngine; never an engine in this process, which would open the
 * database), within BUDGET_MS, and any failure prints nothing at all. What
 * only some answers need is loaded when they do.
 */
import { parseArgs } from "node:util";
import { HttpClient } from "../../client/http.js";
import type { SpireClient } from "../../client/port.js";
import { DYNAMIC_VALUES, type DynamicValues } from "../completion/model.js";
import { findEngine, type Target } from "../connect.js";

/** How long an engine gets to answer before the candidates are given up (a person is waiting on a key press). */
const BUDGET_MS = 1000;
/** Run ids offered: the newest ones. */
const RUNS_OFFERED = 50;

/** From a command line as bin/spire.js has it (`__complete` and what follows, spire's own options anywhere). */
export async function completionValuesFromArgs(args: readonly string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: [...args], options: { data: { type: "string" }, engine: { type: "string" } }, strict: false, allowPositionals: true });
  const [, name, ...words] = positionals;
  const target = { ...(typeof values.data === "string" ? { data: values.data } : {}), ...(typeof values.engine === "string" ? { engine: values.engine } : {}) };
  await completionValuesCommand(name, words, target);
}

export async function completionValuesCommand(name: string | undefined, words: string[], target: Target): Promise<void> {
  // Past the budget, nothing: the shell shows no candidates rather than hang.
  setTimeout(() => process.exit(0), BUDGET_MS).unref();
  let lines: string[];
  try {
    lines = await candidates(name as DynamicValues, words, target);
  } catch {
    return;
  }
  if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
}

async function candidates(name: DynamicValues, words: string[], target: Target): Promise<string[]> {
  if (!DYNAMIC_VALUES.includes(name)) return [];
  if (name === "zones") return zones();
  const engine = await findEngine(target);
  if (!engine) return [];
  const client = new HttpClient(engine);
  switch (name) {
    case "pipelines":
      return pipelines(client);
    case "runs":
      return runs(client);
    case "tasks":
      return tasks(client, words);
    case "tasks-or-pipelines": {
      // spire logs last WORD: a task of the newest run, or a pipeline (then its newest run).
      const [ofRun, named] = await Promise.all([tasks(client, words).catch(() => []), words.length === 1 && isLast(words[0]!) ? pipelines(client) : []]);
      return [...ofRun, ...named];
    }
    case "namespaces":
      return (await client.listNamespaces()).map((namespace) => namespace.name);
  }
}

/** NAME where it is unique, NS/NAME where it is in several namespaces (as spire run and the others take them). */
async function pipelines(client: SpireClient): Promise<string[]> {
  const all = await client.listPipelines();
  const namespaces = new Map<string, number>();
  for (const pipeline of all) namespaces.set(pipeline.name, (namespaces.get(pipeline.name) ?? 0) + 1);
  return all.map((pipeline) => describe(namespaces.get(pipeline.name)! > 1 ? `${pipeline.namespace}/${pipeline.name}` : pipeline.name, pipeline.description ?? pipeline.namespace));
}

async function runs(client: SpireClient): Promise<string[]> {
  const [{ runs }, { clock }] = await Promise.all([client.listRuns({ limit: RUNS_OFFERED }), import("../render/format.js")]);
  return runs.map((run) => describe(run.id, `${run.pipeline} ${run.state} ${clock(run.created_at)}`));
}

/** The tasks of the run the words name: RUN, or last [PIPELINE]. */
async function tasks(client: SpireClient, words: string[]): Promise<string[]> {
  const [run, pipeline] = words;
  if (run === undefined) return [];
  const { resolvePipeline, resolveRun } = await import("../resolve.js");
  const id = await resolveRun(client, run, isLast(run) && pipeline !== undefined ? await resolvePipeline(client, pipeline) : undefined);
  return (await client.getRun(id)).tasks.map((task) => describe(task.path, task.state));
}

function isLast(run: string): boolean {
  return run === "last" || run === "latest";
}

function zones(): string[] {
  const zones = Intl.supportedValuesOf("timeZone");
  return zones.includes("UTC") ? zones : [...zones, "UTC"];
}

/** A value and its description, on one line (a tab or newline in either would break the line apart). */
function describe(value: string, description: string): string {
  return `${value}\t${description.replace(/\s+/g, " ").trim()}`;
}
