/** `spire hook PIPELINE`: the pipeline's webhook URL and its hook token. */
import pc from "picocolors";
import { withClient, type Target } from "../connect.js";
import { resolvePipeline } from "../resolve.js";

/** Where an engine listens unless told otherwise (spire engine --listen). */
const DEFAULT_ADDRESS = "http://127.0.0.1:7431";

export async function hookCommand(pipeline: string, options: Target & { ns?: string; json?: boolean; rotate?: boolean }): Promise<void> {
  const { namespace, name, hook, url, engineUp } = await withClient(options, async (client) => {
    const found = await resolvePipeline(client, pipeline, options.ns);
    const hook = options.rotate ? await client.rotateHook(found.namespace, found.name) : await client.getHook(found.namespace, found.name);
    // With no engine running, the address is the one an engine listens on by default.
    const engineUp = client.location.kind === "engine";
    const base = engineUp ? client.location.url : DEFAULT_ADDRESS;
    return { ...found, hook, url: `${base}${hook.path}`, engineUp };
  });
  if (options.json) return void process.stdout.write(`${JSON.stringify({ url, token: hook.token, enabled: hook.enabled }, null, 2)}\n`);
  process.stdout.write(`url    ${url}\ntoken  ${hook.token}\n`);
  if (options.rotate) process.stdout.write(`\n${pc.green("✓")} ${namespace}/${name} has a new hook token: the one before no longer works.\n`);
  const fire = `curl -X POST -H "Authorization: Bearer ${hook.token}" ${url}`;
  // What to do before the URL answers comes first: until then the curl line would only get a 404, or nothing at all.
  if (!hook.enabled) process.stdout.write(pc.yellow(`\n${namespace}/${name} has no webhook trigger yet: add \`- webhook: true\` to its triggers and apply; then fire it with:\n  ${fire}\n`));
  else if (!engineUp) process.stdout.write(pc.yellow(`\nNo engine is running, so nothing answers at this URL yet: start one (spire engine); then fire it with:\n  ${fire}\n`));
  else process.stdout.write(pc.dim(`\nFire it: ${fire}\n`));
}
