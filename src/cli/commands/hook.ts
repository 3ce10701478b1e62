/** `spire hook PIPELINE`: the pipeline's webhook URL and its hook token. */
import pc from "picocolors";
import { requireEngine } from "../client.js";
import { resolvePipeline } from "./control.js";

export async function hookCommand(pipeline: string, options: { ns?: string; json?: boolean; data?: string; engine?: string }): Promise<void> {
  const client = await requireEngine(options);
  const { namespace, name } = await resolvePipeline(client, pipeline, options.ns);
  const hook = await client.call<{ path: string; token: string; enabled: boolean }>("GET", `/pipelines/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/hook`);
  const url = `${client.target.url}${hook.path}`;
  if (options.json) return void process.stdout.write(`${JSON.stringify({ url, token: hook.token, enabled: hook.enabled }, null, 2)}\n`);
  process.stdout.write(`url    ${url}\ntoken  ${hook.token}\n`);
  if (!hook.enabled) process.stdout.write(pc.yellow(`${namespace}/${name} has no webhook trigger yet: add \`- webhook: true\` to its triggers and apply.\n`));
  process.stdout.write(pc.dim(`\nFire it: curl -X POST -H "Authorization: Bearer ${hook.token}" ${url}\n`));
}
