/**
 * Values from outside a definition never become options either. A value
 * (a run argument, a task's output) that makes the start of an argv word,
 * before any literal `--`, would be read as an option if it starts with
 * "-": tar's --checkpoint-action=exec=…, rsync's -e …, curl's -K … . For the
 * programs Spire knows, where they read options is checked when the file
 * is (argv-code.ts); for the others, and behind a wrapper (env, sudo,
 * timeout, npx, …), whose command Spire reads no further here, the rendered
 * word is checked when the task starts, and the attempt fails with the
 * reason before anything runs. So are the arguments a known interpreter
 * hands to the script or module it runs (`bash x.sh A`, `python3 -m pip A`),
 * as a `script:` task's are: its code, not in sight, may read them as options.
 *
 * A value the file itself chose stays allowed: a run argument given its
 * default, or one of its enum's values, or a number (`-5` is no option
 * name). A `${{ matrix.… }}` or `${{ run.… }}` value comes from the file or
 * from Spire. Pure.
 */
import { programSpec } from "../../definitions/argv-programs.js";
import { codeArgumentsFrom, innermostProgram } from "../../definitions/argv-code.js";
import type { ArgDef } from "../../definitions/schema.js";
import type { Placer } from "../../definitions/templates.js";
import type { Refusals } from "../../definitions/template-places.js";

export interface OptionGuardContext {
  /** The pipeline's declared arguments and the run's values. */
  declared: Record<string, ArgDef>;
  values: Record<string, unknown>;
  refusals: Refusals;
}

type Render = (text: string, place?: Placer) => string;

/** Renders an argv's words (`field` names where they are written, for the hint), checking those a value may start. */
export function guardedArgv(words: readonly string[], field: string, render: Render, context: OptionGuardContext): (item: string, index: number) => string {
  const program = words[0] === undefined ? undefined : render(words[0]);
  const spec = program === undefined ? undefined : programSpec(program);
  // A program Spire knows reads no value as an option (the file's check saw to that), but the script or module it runs gets its
  // arguments (`bash x.sh A`): from A on. The template words are read as they are: a value where an option may stand was refused.
  const from = spec === undefined || spec.family === "wrapper" ? 1 : codeArgumentsFrom(words);
  if (program === undefined || from === undefined) return (item) => render(item);
  // The -- that ends the options is the reader's own: one before it (a wrapper's, bash's) leaves the value an option.
  const reader = from === 1 ? innermostProgram(words) : undefined;
  const dashes = words.indexOf("--", reader === undefined ? from : reader + 1);
  const readerName = reader === undefined ? `the script or module ${program} runs` : render(words[reader] ?? program);
  // For a script's arguments a -- would reach the script as its first argument: the environment is the way.
  const remedy = reader === undefined ? "pass it through env instead" : `put a -- before it in ${field}, or pass it through env`;
  return (item, index) => {
    if (index < from || (dashes >= 0 && index > dashes)) return render(item);
    const placed: { index: number; expr: string; value: string }[] = [];
    const word = render(item, (value, at) => {
      placed.push({ ...at, value });
      return value;
    });
    // Its start is the file's own text (`--name=${{ args.x }}`), or no value starts it.
    if (!word.startsWith("-") || placed.length === 0 || placed[0]!.index > 0) return word;
    const first = placed.find((template) => template.value !== "")!;
    if (/^(args|tasks)\./.test(first.expr) && !chosenByTheFile(first.expr, context)) {
      context.refusals.push(`the value of ${first.expr} starts with "-", and ${readerName} would read it as an option (${remedy})`);
    }
    return word;
  };
}

function chosenByTheFile(expr: string, { declared, values }: OptionGuardContext): boolean {
  const name = /^args\.(.+)$/.exec(expr)?.[1];
  if (name === undefined || !Object.hasOwn(declared, name)) return false;
  const def = declared[name]!;
  const value = String(values[name]);
  if ("type" in def && (def.type === "number" || def.type === "integer")) return true;
  if (def.enum?.some((allowed) => String(allowed) === value)) return true;
  // A pattern the file gave bounds the value as the file chose (the value was checked against it).
  if (def.pattern !== undefined) return true;
  return def.default !== undefined && String(def.default) === value;
}
