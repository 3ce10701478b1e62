/**
 * `.env` files: `KEY=VALUE` lines, `export` prefixes, `#` comments, single
 * quotes (literal), double quotes (with \n, \t, \" and \\ escapes). No
 * variable expansion and no command substitution: a value is only a value.
 */
export interface DotenvEntry {
  key: string;
  value: string;
  line: number;
}

export type DotenvResult = { ok: true; entries: DotenvEntry[] } | { ok: false; errors: { line: number; message: string }[] };

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseDotenv(text: string): DotenvResult {
  const entries: DotenvEntry[] = [];
  const errors: { line: number; message: string }[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const body = trimmed.startsWith("export ") ? trimmed.slice(7).trimStart() : trimmed;
    const equals = body.indexOf("=");
    if (equals <= 0) {
      errors.push({ line, message: "expected KEY=VALUE" });
      return;
    }
    const key = body.slice(0, equals).trim();
    if (!KEY.test(key)) {
      errors.push({ line, message: `"${key}" is not a variable name (letters, digits and _, not starting with a digit)` });
      return;
    }
    const value = parseValue(body.slice(equals + 1).trim());
    if (value === undefined) errors.push({ line, message: "unterminated quote" });
    else entries.push({ key, value, line });
  });
  return errors.length ? { ok: false, errors } : { ok: true, entries };
}

function parseValue(text: string): string | undefined {
  const quote = text[0];
  if (quote === "'" || quote === '"') {
    const end = text.indexOf(quote, 1);
    if (quote === "'") return end < 0 ? undefined : text.slice(1, end);
    let out = "";
    for (let i = 1; i < text.length; i++) {
      const char = text[i]!;
      if (char === '"') return out;
      if (char === "\\" && i + 1 < text.length) {
        const next = text[++i]!;
        out += next === "n" ? "\n" : next === "t" ? "\t" : next === "r" ? "\r" : next;
      } else out += char;
    }
    return undefined;
  }
  const comment = text.search(/\s#/);
  return (comment >= 0 ? text.slice(0, comment) : text).trim();
}

/** Why an env file could not be read, in words: "does not exist", "is a folder, not a file". */
export function envFileReadProblem(code: string | undefined): string {
  switch (code) {
    case "ENOENT":
      return "does not exist";
    case "EISDIR":
      return "is a folder, not a file";
    case "EACCES":
    case "EPERM":
      return "cannot be read: permission denied";
    case "ENOTDIR":
      return "does not exist (a part of its path is a file, not a folder)";
    default:
      return `cannot be read (${code ?? "unknown error"})`;
  }
}

/** Reads an env file; errors name the file and line. */
export async function loadEnvFile(path: string): Promise<Record<string, string>> {
  const { readFile } = await import("node:fs/promises");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`env_file ${path} ${envFileReadProblem((error as NodeJS.ErrnoException).code)}`);
  }
  const parsed = parseDotenv(text);
  if (!parsed.ok) throw new Error(parsed.errors.map((error) => `${path}:${error.line}: ${error.message}`).join("\n"));
  return Object.fromEntries(parsed.entries.map((entry) => [entry.key, entry.value]));
}
