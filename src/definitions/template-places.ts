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

/**
 * A word of an exec task's argv, read by a program Spire does not know (argv-programs.ts) before any
 * literal `--`: a value from outside that starts the word and starts with "-" would be read as an option
 * (tar's --checkpoint-action=exec=…, rsync's -e, curl's -K), so it is refused. Spire knows where the
 * programs it knows read options, and refuses values there when the file is checked; after `--`, and
 * anywhere else in a word, a value is data. A `${{ matrix.… }}` or `${{ run.… }}` value comes from the
 * file or from Spire, and may stand anywhere.
 */
export function asOperandOf(program: string, refusals: Refusals): Placer {
  return (value, at) => {
    if (at.index === 0 && value.startsWith("-") && /^(args|tasks)\./.test(at.expr)) {
      refusals.push(`the value of ${at.expr} starts with "-", and ${program} would read it as an option (put a -- before it in exec, or pass it through env)`);
    }
    return value;
  };
}
