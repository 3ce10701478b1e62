/** A stable digest of a definition: tells a changed pipeline from an unchanged one. */
import { createHash } from "node:crypto";

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

export function definitionDigest(definition: unknown): string {
  return createHash("sha256").update(canonicalJson(definition)).digest("hex");
}
