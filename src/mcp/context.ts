/**
 * What every tool works through: a Spire client (the interface the CLI uses),
 * given afresh for each call. Over stdio it is the engine's HTTP API with the
 * caller's token; inside the engine (/mcp) it is the engine's own routes with
 * the token the request came with, so a token's scope holds either way.
 */
import type { SpireClient } from "../client/port.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { resolvePipeline } from "../cli/resolve.js";
import type { UnexpectedErrorLog } from "./results.js";

export type ClientSource = () => Promise<SpireClient>;

/** What every tool and resource is registered with. */
export interface McpContext {
  clients: ClientSource;
  /** Runs a tool's work: what it throws becomes a tool error (results.ts). */
  answer(work: () => Promise<CallToolResult>): Promise<CallToolResult>;
  log: UnexpectedErrorLog;
}

/** How an assistant names a pipeline, said once for every tool that takes one. */
export const PIPELINE_REFERENCE =
  'The pipeline: its name (e.g. "backup") when only one namespace has it, or NAMESPACE/NAME (e.g. "home/backup"). list_pipelines shows them all.';

/** How an assistant names a run, said once for every tool that takes one. */
export const RUN_REFERENCE =
  'The run: its id (lowercase letters and digits, e.g. "01jbx4k2m9qz3v7c", as start_run and list_runs return it), a unique prefix of one, or "last" for the newest run.';

/** `use` with a client and the pipeline an assistant named, found as `spire` finds it (with a did-you-mean when it is not there). */
export async function withPipeline<T>(clients: ClientSource, given: string, use: (client: SpireClient, namespace: string, name: string) => Promise<T>): Promise<T> {
  const client = await clients();
  const { namespace, name } = await resolvePipeline(client, given);
  return use(client, namespace, name);
}
