/**
 * Where a template's value lands decides what it may hold. Rendered values
 * never reach a shell (templates are refused where one would parse them), but
 * some fields give a value's characters a meaning of their own:
 *
 * - a path after a fixed part (`cwd: /srv/${{ args.site }}`, a docker
 *   volume's source or workdir): a `..` segment would climb out of the
 *   folder the definition names, so it is refused (a template that starts
 *   the path is given the whole path, as written);
 * - a docker volume: a `:` would add a target or options (`/:/host:rw`), so
 *   it is refused;
 * - a URL after its start: the value is percent-encoded as one component,
 *   so it cannot add path segments, a query or a host; `.` and `..`, which
 *   URLs treat as moves even when encoded, are refused. A template that starts
 *   the URL is given the whole URL.
 *
 * A refused value stops the attempt with a reason; nothing runs. Pure.
 */
import type { Placer } from "./templates.js";

/** Collects why values were refused, for the attempt's reason. */
export type Refusals = string[];

export function inPath(field: string, refusals: Refusals, options: { volume?: boolean } = {}): Placer {
  return (value, at) => {
    if (options.volume === true && value.includes(":")) {
      refusals.push(`the value of ${at.expr} holds ":", which in ${field} would add a mount target or options`);
    } else if (at.index > 0 && value.split("/").includes("..")) {
      refusals.push(`the value of ${at.expr} holds a ".." segment, which would leave the folder ${field} names before it`);
    }
    return value;
  };
}

export function inUrl(field: string, refusals: Refusals): Placer {
  return (value, at) => {
    if (at.index === 0) return value;
    if (value === "." || value === "..") refusals.push(`the value of ${at.expr} is "${value}", which in ${field} would move up the URL's path`);
    return encodeURIComponent(value);
  };
}
