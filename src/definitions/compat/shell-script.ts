/**
 * Reads a bash script the way bash does, as far as needed to say, for each
 * prunner template `{{ .NAME }}` in it, how it is quoted where it stands and
 * what reads its value: words, quotes, `$( )`, backquotes, `${ }`, `$(( ))`,
 * `(( ))`, `[[ ]]`, pipelines, redirections and here-documents.
 *
 * The templates become references to environment variables (prunner-script.ts),
 * so the script's own shell only ever sees a value as a value. What this
 * reader finds are the places where something else would parse that value
 * again (prunner-nested.ts judges them): a word that a program runs as code
 * (sh -c, eval, python -c, ssh HOST …), the stdin of a shell that reads its
 * commands there (a here-document, or a pipe from a command that printed it),
 * and bash's own arithmetic (`$(( ))`, `(( ))`, `[[ -eq ]]`, subscripts),
 * which runs `$( )` found in a variable's value. Pure.
 */

export interface TemplateSpan {
  /** Offsets of `{{ … }}` in the script. */
  start: number;
  end: number;
}

export type Quoting = "none" | "single" | "double" | "heredoc";

/** How a template stands: its quoting, and what makes it unsafe when something does. */
export interface Placement {
  span: TemplateSpan;
  quoting: Quoting;
  /** Set where bash itself would evaluate the value, or where no reference can stand: why, and what to do. */
  unsafe?: { why: string; hint?: string };
}

export interface ScriptWord {
  /** The word with its quotes removed; templates and expansions as written. */
  text: string;
  /** Index in `text` of the first template, when the word holds one (directly or through `$( )`). */
  opaqueFrom?: number;
  /** It holds `$NAME`, `$( )` or the like: its value is not known from the script. */
  expands: boolean;
  /** Templates in the word, nested ones included. */
  spans: TemplateSpan[];
}

export interface ScriptCommand {
  words: ScriptWord[];
  /** NAME=VALUE words before the command. */
  assignments: { name: string; word: ScriptWord }[];
  /** Templates that reach the command's stdin (here-documents, here-strings). */
  stdin: TemplateSpan[];
  /** Every template in the command, nested ones included. */
  spans: TemplateSpan[];
}

export interface ScriptReading {
  placements: Placement[];
  /** Pipelines: each a list of commands, stdout of one into stdin of the next. */
  pipelines: ScriptCommand[][];
}

const OPERATORS = ["||", "&&", ";;&", ";;", ";&", "|&", "|", ";", "&"];
const REDIRECTIONS = ["<<<", "<<-", "<<", "<>", ">>", ">|", ">&", "<&", "&>>", "&>", ">", "<"];
const RESERVED = new Set(["if", "then", "elif", "else", "fi", "do", "done", "while", "until", "!", "{", "}", "time", "esac", "function", "coproc"]);
const QUOTED_HEREDOC = {
  why: "in a here-document whose delimiter is quoted, no variable is read, so the value cannot be put there",
  hint: "unquote the delimiter (<<EOF): the body then reads the value from the environment (and expands any other $ and ` in it)",
};
const ANSI_QUOTED = { why: "inside $'…' no variable is read, so the value cannot be put there", hint: "end the $'…' before it and write it outside: $'…'{{ … }}" };
const COMPOUND_ENDS = new Set(["done", "fi", "esac"]);
const ARITHMETIC_TESTS = new Set(["-eq", "-ne", "-lt", "-le", "-gt", "-ge"]);

interface PendingHeredoc {
  delimiter: string;
  quoted: boolean;
  strip: boolean;
  command: ScriptCommand;
}

export function readScript(text: string, spans: readonly TemplateSpan[]): ScriptReading {
  const reader = new Reader(text, spans);
  reader.list(undefined);
  return { placements: reader.placements, pipelines: reader.pipelines };
}

class Reader {
  pos = 0;
  readonly placements: Placement[] = [];
  readonly pipelines: ScriptCommand[][] = [];
  private readonly starts: Map<number, TemplateSpan>;
  private heredocs: PendingHeredoc[] = [];
  /** What ends the innermost list being read (`)`, a backquote, `}`). */
  private closers: string[] = [];

  constructor(
    private readonly text: string,
    spans: readonly TemplateSpan[],
  ) {
    this.starts = new Map(spans.map((span) => [span.start, span]));
  }

  /** Commands until `close` (consumed) or the end. */
  list(close: string | undefined): void {
    this.closers.push(close ?? "");
    let pipeline: ScriptCommand[] = [];
    let command = newCommand();
    const endCommand = () => {
      if (command.words.length > 0 || command.assignments.length > 0 || command.stdin.length > 0 || command.spans.length > 0) pipeline.push(command);
      command = newCommand();
    };
    const endPipeline = () => {
      endCommand();
      if (pipeline.length > 0) this.pipelines.push(pipeline);
      pipeline = [];
    };
    while (this.pos < this.text.length) {
      const char = this.text[this.pos]!;
      if (char === " " || char === "\t") {
        this.pos++;
      } else if (close !== undefined && this.text.startsWith(close, this.pos)) {
        this.pos += close.length;
        break;
      } else if (char === "\n") {
        this.pos++;
        endPipeline();
        this.readHeredocs();
      } else if (char === "\\" && this.text[this.pos + 1] === "\n") {
        this.pos += 2;
      } else if (char === "#" && command.words.length === 0) {
        while (this.pos < this.text.length && this.text[this.pos] !== "\n") this.pos++;
      } else if (char === "#" && /[ \t]/.test(this.text[this.pos - 1] ?? " ")) {
        while (this.pos < this.text.length && this.text[this.pos] !== "\n") this.pos++;
      } else if (this.text.startsWith("((", this.pos) && command.words.length === 0) {
        this.pos += 2;
        this.arithmetic("))", command, "in (( )), bash evaluates it as arithmetic, which runs any $( ) in the value");
      } else if (char === "(" && command.words.length > 0 && this.text.startsWith(")", this.skipBlanks(this.pos + 1))) {
        // NAME ( ): a function's definition.
        this.pos = this.skipBlanks(this.pos + 1) + 1;
        command = newCommand();
      } else if (char === "(" || (char === "{" && command.words.length === 0 && /[\s]/.test(this.text[this.pos + 1] ?? ""))) {
        // A subshell or a group: a stage of its own, whose output carries every template inside.
        this.pos++;
        command.spans.push(...this.nested(char === "(" ? ")" : "}"));
      } else if (char === ")") {
        // A case pattern's end: the words before it are patterns.
        this.pos++;
        command = newCommand();
      } else if (this.redirectionAt() !== undefined) {
        this.redirection(command);
      } else if (this.operatorAt() !== undefined) {
        const operator = this.operatorAt()!;
        this.pos += operator.length;
        if (operator === "|" || operator === "|&") endCommand();
        else endPipeline();
      } else {
        const word = this.word();
        const first = command.words.length === 0 && !word.expands;
        if (first && word.text === "[[") this.conditional(command);
        else if (first && COMPOUND_ENDS.has(word.text)) {
          // A loop's or an if's output may be piped on: it carries every template read so far.
          command.spans.push(...this.placements.map((placement) => placement.span));
        } else addWord(command, word);
      }
    }
    endPipeline();
    this.closers.pop();
  }

  private skipBlanks(at: number): number {
    while (this.text[at] === " " || this.text[at] === "\t") at++;
    return at;
  }

  private operatorAt(): string | undefined {
    return OPERATORS.find((operator) => this.text.startsWith(operator, this.pos));
  }

  /** A redirection here: an optional fd, then the operator (not `<(`/`>(`, which start a word). */
  private redirectionAt(): string | undefined {
    const fd = /^[0-9]*/.exec(this.text.slice(this.pos, this.pos + 4))![0];
    const at = this.pos + fd.length;
    if (this.text.startsWith("<(", at) || this.text.startsWith(">(", at)) return undefined;
    const operator = REDIRECTIONS.find((candidate) => this.text.startsWith(candidate, at));
    return operator === undefined ? undefined : fd + operator;
  }

  private redirection(command: ScriptCommand): void {
    const operator = this.redirectionAt()!;
    this.pos = this.skipBlanks(this.pos + operator.length);
    const from = this.pos;
    const target = this.word();
    command.spans.push(...target.spans);
    if (operator.endsWith("<<<")) {
      command.stdin.push(...target.spans);
    } else if (operator.endsWith("<<") || operator.endsWith("<<-")) {
      // Any quoting in the delimiter makes the body literal.
      this.heredocs.push({ delimiter: target.text, quoted: /['"\\]/.test(this.text.slice(from, this.pos)), strip: operator.endsWith("-"), command });
    }
  }

  /** After a newline: the bodies of the here-documents opened on the line. */
  private readHeredocs(): void {
    const pending = this.heredocs;
    this.heredocs = [];
    for (const heredoc of pending) {
      for (;;) {
        if (this.pos >= this.text.length) return;
        const end = this.text.indexOf("\n", this.pos);
        const lineEnd = end < 0 ? this.text.length : end;
        const line = this.text.slice(this.pos, lineEnd);
        const bodyStart = this.pos;
        this.pos = end < 0 ? this.text.length : end + 1;
        if ((heredoc.strip ? line.replace(/^\t+/, "") : line) === heredoc.delimiter) break;
        for (const span of this.spansIn(bodyStart, lineEnd)) {
          this.placements.push(heredoc.quoted ? { span, quoting: "heredoc", unsafe: QUOTED_HEREDOC } : { span, quoting: "heredoc" });
          heredoc.command.stdin.push(span);
          heredoc.command.spans.push(span);
        }
      }
    }
  }

  private spansIn(from: number, to: number): TemplateSpan[] {
    return [...this.starts.values()].filter((span) => span.start >= from && span.start < to);
  }

  /** `[[ … ]]`: words up to `]]`; with an arithmetic test, bash evaluates its operands. */
  private conditional(command: ScriptCommand): void {
    const words: ScriptWord[] = [];
    for (;;) {
      this.pos = this.skipBlanks(this.pos);
      if (this.pos >= this.text.length || this.text[this.pos] === "\n") break;
      const operator = ["&&", "||", "(", ")", "<", ">", "!"].find((candidate) => this.text.startsWith(candidate, this.pos));
      if (operator !== undefined) {
        this.pos += operator.length;
        continue;
      }
      const word = this.word();
      if (word.text === "]]" && !word.expands) break;
      words.push(word);
    }
    const arithmetic = words.some((word) => ARITHMETIC_TESTS.has(word.text));
    for (const word of words) {
      command.spans.push(...word.spans);
      if (arithmetic) this.markUnsafe(word.spans, "in [[ ]] with -eq, -lt and the like, bash evaluates it as arithmetic, which runs any $( ) in the value");
    }
  }

  private markUnsafe(spans: readonly TemplateSpan[], why: string): void {
    for (const placement of this.placements) if (spans.includes(placement.span) && placement.unsafe === undefined) placement.unsafe = { why };
  }

  /** Up to `close`, counting parentheses: every template inside is evaluated as arithmetic. */
  private arithmetic(close: "))", command: ScriptCommand | undefined, why: string): TemplateSpan[] {
    const spans: TemplateSpan[] = [];
    let depth = 0;
    while (this.pos < this.text.length) {
      const span = this.starts.get(this.pos);
      if (span !== undefined) {
        this.placements.push({ span, quoting: "none", unsafe: { why } });
        spans.push(span);
        this.pos = span.end;
      } else if (depth === 0 && this.text.startsWith(close, this.pos)) {
        this.pos += close.length;
        break;
      } else {
        if (this.text[this.pos] === "(") depth++;
        if (this.text[this.pos] === ")") depth--;
        this.pos++;
      }
    }
    command?.spans.push(...spans);
    return spans;
  }

  /** One word, with its quotes, expansions and substitutions. */
  word(): ScriptWord {
    const word: ScriptWord = { text: "", expands: false, spans: [] };
    const opaque = () => (word.opaqueFrom ??= word.text.length);
    while (this.pos < this.text.length) {
      const char = this.text[this.pos]!;
      const span = this.starts.get(this.pos);
      if (span !== undefined) {
        this.template(word, span, "none");
        continue;
      }
      if (/[\s;&|()<>]/.test(char) && !this.startsSubstitutionWord()) break;
      if (char === "`" && this.closers[this.closers.length - 1] === "`") break;
      if (char === "'") {
        const end = this.text.indexOf("'", this.pos + 1);
        const close = end < 0 ? this.text.length : end;
        this.pos++;
        this.quoted(word, close, "single");
        this.pos = close + 1;
      } else if (char === '"') {
        this.pos++;
        this.doubleQuoted(word);
      } else if (char === "\\") {
        word.text += this.text[this.pos + 1] ?? "";
        this.pos += 2;
      } else if (char === "$" && this.text[this.pos + 1] === "'") {
        const end = this.ansiEnd(this.pos + 2);
        const spans = this.spansIn(this.pos, end);
        for (const inner of spans) this.placements.push({ span: inner, quoting: "single", unsafe: ANSI_QUOTED });
        word.spans.push(...spans);
        if (spans.length > 0) opaque();
        word.text += this.text.slice(this.pos, end + 1);
        this.pos = end + 1;
      } else if (char === "$" || char === "`" || ((char === "<" || char === ">") && this.text[this.pos + 1] === "(")) {
        this.expansion(word, "none");
      } else {
        word.text += char;
        this.pos++;
      }
    }
    return word;
  }

  private startsSubstitutionWord(): boolean {
    const char = this.text[this.pos];
    return (char === "<" || char === ">") && this.text[this.pos + 1] === "(";
  }

  private ansiEnd(from: number): number {
    let at = from;
    while (at < this.text.length && this.text[at] !== "'") at += this.text[at] === "\\" ? 2 : 1;
    return Math.min(at, this.text.length);
  }

  private template(word: ScriptWord, span: TemplateSpan, quoting: Quoting): void {
    word.opaqueFrom ??= word.text.length;
    word.text += this.text.slice(span.start, span.end);
    word.spans.push(span);
    this.placements.push({ span, quoting });
    this.pos = span.end;
  }

  /** Literal text up to `close` (single quotes): templates in it are still placed. */
  private quoted(word: ScriptWord, close: number, quoting: Quoting): void {
    while (this.pos < close) {
      const span = this.starts.get(this.pos);
      if (span !== undefined) this.template(word, span, quoting);
      else word.text += this.text[this.pos++];
    }
  }

  private doubleQuoted(word: ScriptWord): void {
    while (this.pos < this.text.length && this.text[this.pos] !== '"') {
      const span = this.starts.get(this.pos);
      const char = this.text[this.pos]!;
      if (span !== undefined) this.template(word, span, "double");
      else if (char === "\\") {
        const next = this.text[this.pos + 1] ?? "";
        word.text += '"\\$`\n'.includes(next) ? next : `\\${next}`;
        this.pos += 2;
      } else if (char === "$" || char === "`") this.expansion(word, "double");
      else {
        word.text += char;
        this.pos++;
      }
    }
    this.pos++;
  }

  /** `$NAME`, `${ }`, `$(( ))`, `$( )`, backquotes, `<( )`: the word's value is no longer known. */
  private expansion(word: ScriptWord, quoting: Quoting): void {
    const start = this.pos;
    word.expands = true;
    let spans: TemplateSpan[] = [];
    if (this.text.startsWith("$((", this.pos)) {
      this.pos += 3;
      spans = this.arithmetic("))", undefined, "in $(( )), bash evaluates it as arithmetic, which runs any $( ) in the value");
    } else if (this.text.startsWith("${", this.pos)) {
      const end = this.braceEnd(this.pos + 2);
      spans = this.spansIn(this.pos, end);
      for (const span of spans) this.placements.push({ span, quoting, unsafe: { why: "inside ${ }, bash may evaluate it (a subscript or an offset is arithmetic, which runs any $( ) in the value)", hint: "put it outside the ${ }: \"${FOO:-}\"{{ … }} or a variable of its own" } });
      this.pos = end + 1;
    } else if (this.text.startsWith("$(", this.pos) || this.text.startsWith("<(", this.pos) || this.text.startsWith(">(", this.pos)) {
      this.pos += 2;
      spans = this.nested(")");
    } else if (this.text[this.pos] === "`") {
      this.pos++;
      spans = this.nested("`");
    } else {
      this.pos++;
      const name = /^([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(this.text.slice(this.pos));
      this.pos += name?.[0].length ?? 0;
    }
    if (spans.length > 0) word.opaqueFrom ??= word.text.length;
    word.spans.push(...spans);
    word.text += this.text.slice(start, this.pos);
  }

  /** A command substitution: its commands are read like any, and its output may carry their templates. */
  private nested(close: ")" | "`" | "}"): TemplateSpan[] {
    const before = this.placements.length;
    this.list(close);
    return this.placements.slice(before).map((placement) => placement.span);
  }

  private braceEnd(from: number): number {
    let depth = 0;
    for (let at = from; at < this.text.length; at++) {
      const char = this.text[at];
      if (char === "\\") at++;
      else if (char === "{") depth++;
      else if (char === "}" && depth-- === 0) return at;
    }
    return this.text.length;
  }
}

function newCommand(): ScriptCommand {
  return { words: [], assignments: [], stdin: [], spans: [] };
}

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=/;

function addWord(command: ScriptCommand, word: ScriptWord): void {
  command.spans.push(...word.spans);
  const assignment = command.words.length === 0 ? ASSIGNMENT.exec(word.text) : null;
  if (assignment !== null && (word.opaqueFrom === undefined || word.opaqueFrom >= assignment[0].length)) {
    command.assignments.push({ name: assignment[1]!, word });
    return;
  }
  if (command.words.length === 0 && RESERVED.has(word.text) && !word.expands) return;
  command.words.push(word);
}
