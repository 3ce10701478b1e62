/**
 * Gator expands `$VAR` and `${VAR}` in a job's command and arguments from
 * the job's environment, then runs the command without a shell. Spire does
 * the same expansion here, in code (never through a shell), from the
 * environment the file gives the job (its own `env:` over its groups').
 * Also `${VAR:-default}`, `${VAR-default}`, and `\$` for a literal `$`.
 */

export type Lookup = (name: string) => string | undefined;

export type Expansion = { ok: true; text: string } | { ok: false; reference: string; message: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const BRACED = /^\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/;

export function expandVariables(text: string, lookup: Lookup): Expansion {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === "\\" && text[i + 1] === "$") {
      out += "$";
      i++;
      continue;
    }
    if (char !== "$") {
      out += char;
      continue;
    }
    const rest = text.slice(i + 1);
    const braced = BRACED.exec(rest);
    const bare = braced ? null : NAME.exec(rest);
    if (!braced && !bare) {
      if (rest.startsWith("{")) return { ok: false, reference: `$${rest.slice(0, rest.indexOf("}") + 1 || rest.length)}`, message: "a variable reference Spire cannot read" };
      out += "$";
      continue;
    }
    const reference = `$${(braced ?? bare)![0]}`;
    const name = braced ? braced[1]! : bare![0];
    const value = lookup(name);
    const operator = braced?.[2];
    if (value !== undefined && !(operator === ":-" && value === "")) out += value;
    else if (operator !== undefined) {
      const fallback = expandVariables(braced![3] ?? "", lookup);
      if (!fallback.ok) return fallback;
      out += fallback.text;
    } else return { ok: false, reference, message: `\`${reference}\` is not set in the job's environment` };
    i += reference.length - 1;
  }
  return { ok: true, text: out };
}
