/**
 * Terminal colours as the page draws them, readable whatever a task asks
 * for: every colour is kept at a contrast of at least 4.5:1 (WCAG AA) with
 * what it is drawn on, as VS Code's terminal does ("minimum contrast
 * ratio"): a colour too close to the background is lightened (on a dark
 * one) or darkened (on a light one) just enough. Red stays red; dark blue on
 * the dark theme becomes a blue one can read; dim text is as dim as it can
 * be and still be read.
 *
 * The 16 base colours and the log's own colours come from the stylesheet
 * (logs.css, custom properties on :root, one set per theme) and are read
 * again when the theme changes.
 */
import { signal } from "@preact/signals";
import { rgbOf, type AnsiStyle } from "./ansi";

type Rgb = [number, number, number];

interface Palette {
  ansi: Rgb[];
  fg: Rgb;
  bg: Rgb;
  /** Every background a log line's text can sit on (the log, search marks, the selected line): a colour must read on each. */
  grounds: Rgb[];
}

const MIN_CONTRAST = 4.5;

/** Bumped when the theme changes: rows drawn with colours re-render. */
export const paletteVersion = signal(0);
let palette: Palette | undefined;
const cache = new Map<string, SpanLook>();

function parseHex(value: string): Rgb | undefined {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(value.trim());
  return match ? [parseInt(match[1]!, 16), parseInt(match[2]!, 16), parseInt(match[3]!, 16)] : undefined;
}

function readPalette(): Palette {
  const style = getComputedStyle(document.documentElement);
  const read = (name: string, fallback: Rgb): Rgb => parseHex(style.getPropertyValue(name)) ?? fallback;
  const dark = matchMedia("(prefers-color-scheme: dark)").matches;
  const fg = read("--log-ink", dark ? [230, 237, 243] : [31, 35, 40]);
  const bg = read("--log-paper", dark ? [11, 14, 19] : [246, 248, 250]);
  const grounds = [bg, ...["--log-mark", "--log-mark-current", "--log-selected", "--log-hover"].map((name) => read(name, bg))];
  return { ansi: Array.from({ length: 16 }, (_, i) => read(`--ansi-${i}`, fg)), fg, bg, grounds };
}

let watching = false;

function current(): Palette {
  if (!palette) {
    palette = readPalette();
    if (!watching) {
      watching = true;
      matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
        palette = undefined;
        cache.clear();
        paletteVersion.value++;
      });
    }
  }
  return palette;
}

function channel(value: number): number {
  const v = value / 255;
  return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

function luminance([r, g, b]: Rgb): number {
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

function contrast(a: Rgb, b: Rgb): number {
  const [x, y] = [luminance(a), luminance(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** `color`, moved towards white (on dark grounds) or black (light ones) until it reads on every ground. */
function readable(color: Rgb, grounds: Rgb[]): Rgb {
  const towards: Rgb = luminance(grounds[0]!) < 0.5 ? [255, 255, 255] : [0, 0, 0];
  for (let t = 0; t < 1; t += 0.05) {
    const candidate = t === 0 ? color : mix(color, towards, t);
    if (grounds.every((ground) => contrast(candidate, ground) >= MIN_CONTRAST)) return candidate;
  }
  return towards;
}

function css([r, g, b]: Rgb): string {
  return `rgb(${Math.round(r)} ${Math.round(g)} ${Math.round(b)})`;
}

function colourOf(color: number, p: Palette): Rgb {
  return color < 16 ? p.ansi[color]! : rgbOf(color);
}

export interface SpanLook {
  class?: string;
  style?: { color?: string; backgroundColor?: string };
}

/** The class (bold, italic, underline, strike) and colours of a styled span, worked out once per style and theme. */
export function spanLook(style: AnsiStyle): SpanLook {
  const key = `${style.fg ?? ""}|${style.bg ?? ""}|${style.inverse ? 1 : 0}${style.dim ? 1 : 0}${style.bold ? 1 : 0}${style.italic ? 1 : 0}${style.underline ? 1 : 0}${style.strike ? 1 : 0}`;
  let look = cache.get(key);
  if (!look) {
    look = work(style, current());
    cache.set(key, look);
  }
  return look;
}

function work(style: AnsiStyle, p: Palette): SpanLook {
  let fg = style.fg === undefined ? undefined : colourOf(style.fg, p);
  let bg = style.bg === undefined ? undefined : colourOf(style.bg, p);
  if (style.inverse) [fg, bg] = [bg ?? p.bg, fg ?? p.fg];
  const look: SpanLook = {};
  const classes = [style.bold && "ansi-bold", style.italic && "ansi-italic", style.underline && "ansi-underline", style.strike && "ansi-strike"].filter(Boolean);
  if (classes.length > 0) look.class = classes.join(" ");
  if (bg !== undefined) {
    // On a background of its own, the text is the task's colour or, when it gave none, black or white, whichever reads better.
    let text = fg ?? (contrast([0, 0, 0], bg) > contrast([255, 255, 255], bg) ? [20, 20, 20] : [255, 255, 255]);
    if (style.dim) text = mix(text, bg, 0.4);
    look.style = { color: css(readable(text, [bg])), backgroundColor: css(bg) };
  } else if (fg !== undefined || style.dim) {
    const text = style.dim ? mix(fg ?? p.fg, p.bg, 0.4) : fg!;
    look.style = { color: css(readable(text, p.grounds)) };
  }
  return look;
}
