/**
 * Terminal colours in log lines: SGR sequences (ESC [ … m) become styled
 * segments; every other escape or control sequence (cursor moves, screen
 * clears, window titles, hyperlink wrappers) is dropped, and so are control
 * characters other than tab. A carriage return inside a line keeps what came
 * after it, as a terminal would show a progress bar once it is done.
 *
 * Each line starts with no style: the viewer reads any line of a million on
 * its own, so a colour left on at the end of a line does not carry over
 * (most programs reset at the end of a line anyway).
 */

/** A palette index 0–255, or a 24-bit colour as 0xRRGGBB + 256 (so both fit in one number). */
export type AnsiColor = number;

export interface AnsiStyle {
  fg?: AnsiColor;
  bg?: AnsiColor;
  bold?: true;
  dim?: true;
  italic?: true;
  underline?: true;
  inverse?: true;
  strike?: true;
}

export interface Segment {
  text: string;
  /** null: the log's own colours. */
  style: AnsiStyle | null;
}

const ESC = "\x1b";
/** Anything that needs the slow path: C0 controls but tab, DEL, and the C1 CSI. */
const SPECIAL = /[\x00-\x08\x0a-\x1f\x7f\x9b]/;

export const TRUECOLOR_BASE = 256;

/** The visible text of a line: what search and the plain download look at. */
export function plainText(line: string): string {
  if (!SPECIAL.test(line)) return line;
  let text = "";
  for (const segment of parseAnsi(line)) text += segment.text;
  return text;
}

/** The line as segments of one style each; a line without escapes is one unstyled segment. */
export function parseAnsi(line: string): Segment[] {
  if (!SPECIAL.test(line)) return [{ text: line, style: null }];
  let segments: Segment[] = [];
  let style: AnsiStyle | null = null;
  let text = "";
  const push = () => {
    if (text === "") return;
    const last = segments[segments.length - 1];
    if (last && last.style === style) last.text += text;
    else segments.push({ text, style });
    text = "";
  };
  const length = line.length;
  let i = 0;
  while (i < length) {
    const code = line.charCodeAt(i);
    if (code >= 0x20 && code !== 0x7f && code !== 0x9b) {
      // A run of plain characters at once.
      let end = i + 1;
      while (end < length) {
        const next = line.charCodeAt(end);
        if (next < 0x20 || next === 0x7f || next === 0x9b) break;
        end++;
      }
      text += line.slice(i, end);
      i = end;
      continue;
    }
    if (code === 0x09) {
      text += "\t";
      i++;
      continue;
    }
    if (code === 0x0d) {
      // A carriage return starts the line over, unless nothing follows it (a CRLF line end).
      i++;
      if (i < length) {
        text = "";
        segments = [];
      }
      continue;
    }
    if (code === 0x1b || code === 0x9b) {
      const isCsi = code === 0x9b || line[i + 1] === "[";
      if (isCsi) {
        const start = code === 0x9b ? i + 1 : i + 2;
        let end = start;
        // Parameter bytes 0x30–0x3F, intermediate bytes 0x20–0x2F, then one final byte 0x40–0x7E.
        while (end < length && line.charCodeAt(end) >= 0x30 && line.charCodeAt(end) <= 0x3f) end++;
        const paramsEnd = end;
        while (end < length && line.charCodeAt(end) >= 0x20 && line.charCodeAt(end) <= 0x2f) end++;
        const final = line.charCodeAt(end);
        if (end >= length || final < 0x40 || final > 0x7e) {
          // Cut short: drop what there is of it.
          i = Math.min(end, length);
          continue;
        }
        if (final === 0x6d && paramsEnd === end) {
          const next = applySgr(style, line.slice(start, paramsEnd));
          if (next !== style) {
            push();
            style = next;
          }
        }
        i = end + 1;
        continue;
      }
      i = skipEscape(line, i);
      continue;
    }
    // Any other control character (bell, backspace, form feed, …) is dropped.
    i++;
  }
  push();
  return segments.length > 0 ? segments : [{ text: "", style: null }];
}

/** Past a non-CSI escape at `i`: OSC/DCS/SOS/PM/APC strings up to their terminator, else ESC + intermediates + final. */
function skipEscape(line: string, i: number): number {
  const kind = line[i + 1];
  if (kind === undefined) return i + 1;
  if (kind === "]" || kind === "P" || kind === "X" || kind === "^" || kind === "_") {
    // Ends at BEL (OSC) or ST (ESC \); an unterminated string runs to the end of the line.
    for (let j = i + 2; j < line.length; j++) {
      const c = line[j];
      if (c === "\x07") return j + 1;
      if (c === ESC && line[j + 1] === "\\") return j + 2;
    }
    return line.length;
  }
  let j = i + 1;
  while (j < line.length && line.charCodeAt(j) >= 0x20 && line.charCodeAt(j) <= 0x2f) j++;
  return j < line.length ? j + 1 : j;
}

const SAME: unique symbol = Symbol("same");

/** The style after one SGR's parameters ("1;31", "38;5;208", "38:2::255:0:0"); the same object when nothing changed. */
export function applySgr(current: AnsiStyle | null, params: string): AnsiStyle | null {
  const style: AnsiStyle = { ...current };
  const parts = params === "" ? ["0"] : params.split(";");
  let changed = false;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    // Colon sub-parameters (ITU T.416): 38:5:n, 38:2:[space]:r:g:b, 4:3 (curly underline).
    const sub = part.includes(":") ? part.split(":") : undefined;
    const n = sub ? Number(sub[0] || "0") : part === "" ? 0 : Number(part);
    if (!Number.isInteger(n)) continue;
    const result = applyOne(style, n, sub, parts, p);
    if (result === SAME) continue;
    changed = true;
    p += result;
  }
  if (!changed) return current;
  for (const key of Object.keys(style) as (keyof AnsiStyle)[]) if (style[key] === undefined) delete style[key];
  return Object.keys(style).length === 0 ? null : style;
}

/** Applies code `n`; returns how many more `;` parameters it took (extended colours), or SAME for codes it ignores. */
function applyOne(style: AnsiStyle, n: number, sub: string[] | undefined, parts: string[], p: number): number | typeof SAME {
  switch (true) {
    case n === 0:
      for (const key of Object.keys(style) as (keyof AnsiStyle)[]) delete style[key];
      return 0;
    case n === 1:
      style.bold = true;
      return 0;
    case n === 2:
      style.dim = true;
      return 0;
    case n === 3:
      style.italic = true;
      return 0;
    case n === 4:
      if (sub && sub[1] === "0") delete style.underline;
      else style.underline = true;
      return 0;
    case n === 7:
      style.inverse = true;
      return 0;
    case n === 9:
      style.strike = true;
      return 0;
    case n === 21:
      style.underline = true;
      return 0;
    case n === 22:
      delete style.bold;
      delete style.dim;
      return 0;
    case n === 23:
      delete style.italic;
      return 0;
    case n === 24:
      delete style.underline;
      return 0;
    case n === 27:
      delete style.inverse;
      return 0;
    case n === 29:
      delete style.strike;
      return 0;
    case n >= 30 && n <= 37:
      style.fg = n - 30;
      return 0;
    case n >= 90 && n <= 97:
      style.fg = n - 90 + 8;
      return 0;
    case n === 39:
      delete style.fg;
      return 0;
    case n >= 40 && n <= 47:
      style.bg = n - 40;
      return 0;
    case n >= 100 && n <= 107:
      style.bg = n - 100 + 8;
      return 0;
    case n === 49:
      delete style.bg;
      return 0;
    case n === 38 || n === 48: {
      const { color, used } = sub ? extendedFromColons(sub) : extendedFromParams(parts, p);
      if (color !== undefined) {
        if (n === 38) style.fg = color;
        else style.bg = color;
      }
      return used;
    }
    default:
      return SAME;
  }
}

function byte(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 && n <= 255 ? n : undefined;
}

function rgb(r: number | undefined, g: number | undefined, b: number | undefined): AnsiColor | undefined {
  if (r === undefined || g === undefined || b === undefined) return undefined;
  return TRUECOLOR_BASE + ((r << 16) | (g << 8) | b);
}

/** 38;5;n or 38;2;r;g;b: the colour, and how many parameters after 38 it used. */
function extendedFromParams(parts: string[], p: number): { color: AnsiColor | undefined; used: number } {
  const mode = parts[p + 1];
  if (mode === "5") return { color: byte(parts[p + 2]), used: 2 };
  if (mode === "2") return { color: rgb(byte(parts[p + 2]), byte(parts[p + 3]), byte(parts[p + 4])), used: 4 };
  return { color: undefined, used: 0 };
}

/** 38:5:n, 38:2:r:g:b or 38:2:colourspace:r:g:b: all in one parameter. */
function extendedFromColons(sub: string[]): { color: AnsiColor | undefined; used: number } {
  if (sub[1] === "5") return { color: byte(sub[2]), used: 0 };
  if (sub[1] === "2") {
    const values = sub.length >= 6 ? sub.slice(3, 6) : sub.slice(2, 5);
    return { color: rgb(byte(values[0]), byte(values[1]), byte(values[2])), used: 0 };
  }
  return { color: undefined, used: 0 };
}

const CUBE = [0, 95, 135, 175, 215, 255];

/** A colour past the 16 base ones as [r, g, b]: the 6×6×6 cube (16–231), the greys (232–255), or 24-bit. */
export function rgbOf(color: AnsiColor): [number, number, number] {
  if (color >= TRUECOLOR_BASE) {
    const value = color - TRUECOLOR_BASE;
    return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
  }
  if (color >= 232) {
    const level = 8 + (color - 232) * 10;
    return [level, level, level];
  }
  const index = color - 16;
  return [CUBE[Math.floor(index / 36)]!, CUBE[Math.floor(index / 6) % 6]!, CUBE[index % 6]!];
}
