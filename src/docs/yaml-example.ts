/** A key and its value as one line of YAML, the way the reference shows examples and defaults. */
import { stringify } from "yaml";

/** A value in YAML flow style, on one line: `[ db, { name: license, count: 2 } ]`. */
export function flowYaml(value: unknown): string {
  return stringify(value, { collectionStyle: "flow", lineWidth: 0 }).trimEnd();
}

export function yamlLine(key: string, value: unknown): string {
  return `${flowYaml(key)}: ${flowYaml(value)}`;
}
