/** A pipeline's webhook: where to POST and with which token (the hook route, and a CLI with no engine running). */
import type { EngineService } from "../engine/service.js";
import type { TokenAuthority } from "./auth.js";
import { API_PREFIX } from "./register.js";

export async function hookInfo(service: Pick<EngineService, "getPipeline">, auth: Pick<TokenAuthority, "hookToken">, namespace: string, name: string) {
  const pipeline = await service.getPipeline(namespace, name);
  return {
    path: `${API_PREFIX}/hooks/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`,
    token: await auth.hookToken(namespace, name),
    enabled: pipeline.definition.triggers.some((trigger) => trigger.kind === "webhook"),
  };
}
