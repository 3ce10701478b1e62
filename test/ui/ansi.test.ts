/**
 * The log viewer's terminal-colour parser (ui/src/logs/ansi.ts): SGR
 * sequences become styles, every other escape and control character goes,
 * and no input makes it throw or leave an escape in the text.
 */
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { loadUiModule } from "../helpers/ui-module.js";

// The module's shapes, written again (loadUiModule).
interface AnsiStyle {
  fg?: number;
  bg?: number;
  bold?: true;
  dim?: true;
  italic?: true;
  underline?: true;
  inverse?: true;
  strike?: true;
}
interface Segment {
  text: string;
  style: AnsiStyle | null;
}
interface AnsiModule {
  parseAnsi(line: string): Segment[];
  plainText(line: string): string;
  rgbOf(color: number): [number, number, number];
  TRUECOLOR_BASE: number;
}

let ansi: AnsiModule;

before(async () => {
  ansi = await loadUiModule<AnsiModule>("logs/ansi.ts");
});

const E = "\x1b[";
const styled = (line: string) => ansi.parseAnsi(line).map((segment) => [segment.text, segment.style]);

describe("parseAnsi", () => {
  test("a line without escapes is one unstyled segment", () => {
    assert.deepEqual(styled("plain <b>text</b>\twith a tab"), [["plain <b>text</b>\twith a tab", null]]);
  });

  test("the 16 colours, foreground and background, and reset", () => {
    assert.deepEqual(styled(`${E}31mred${E}0m plain ${E}92;44mbright green on blue${E}39m blue bg${E}m`), [
      ["red", { fg: 1 }],
      [" plain ", null],
      ["bright green on blue", { fg: 10, bg: 4 }],
      [" blue bg", { bg: 4 }],
    ]);
    assert.deepEqual(styled(`${E}100mx`), [["x", { bg: 8 }]]);
  });

  test("bold, dim, italic, underline, inverse, strike, and what turns each off", () => {
    assert.deepEqual(styled(`${E}1;2;3;4;7;9mall${E}22mno weight${E}23;24;27;29mnone`), [
      ["all", { bold: true, dim: true, italic: true, underline: true, inverse: true, strike: true }],
      ["no weight", { italic: true, underline: true, inverse: true, strike: true }],
      ["none", null],
    ]);
    assert.deepEqual(styled(`${E}4:3mcurly${E}4:0mnot`), [
      ["curly", { underline: true }],
      ["not", null],
    ]);
  });

  test("256 colours and 24-bit colours, with ; and with :", () => {
    const rgb = (r: number, g: number, b: number) => ansi.TRUECOLOR_BASE + (r << 16) + (g << 8) + b;
    assert.deepEqual(styled(`${E}38;5;208ma${E}48;2;1;2;3mb`), [
      ["a", { fg: 208 }],
      ["b", { fg: 208, bg: rgb(1, 2, 3) }],
    ]);
    assert.deepEqual(styled(`${E}38:5:82ma${E}0;38:2::255:100:0mb${E}0;48:2:9:8:7mc`), [
      ["a", { fg: 82 }],
      ["b", { fg: rgb(255, 100, 0) }],
      ["c", { bg: rgb(9, 8, 7) }],
    ]);
    // Out of range or cut short: no colour, and the codes after it still count.
    assert.deepEqual(styled(`${E}38;5;300;1mx`), [["x", { bold: true }]]);
    assert.deepEqual(styled(`${E}38;2;1mx`), [["x", null]]);
  });

  test("CSI sequences other than SGR are dropped", () => {
    assert.deepEqual(styled(`a${E}2Kb${E}1Gc${E}?25ld${E}?25he${E}10;20Hf${E}1;31xg`), [["abcdefg", null]]);
  });

  test("OSC (title, hyperlinks) and other strings are dropped; a hyperlink's text stays", () => {
    assert.deepEqual(styled("a\x1b]0;title\x07b"), [["ab", null]]);
    assert.deepEqual(styled("see \x1b]8;;https://example.com\x1b\\the site\x1b]8;;\x1b\\ now"), [["see the site now", null]]);
    assert.deepEqual(styled("a\x1bPq#0;2;0;0;0\x1b\\b\x1b_apc\x1b\\c"), [["abc", null]]);
    assert.deepEqual(styled("a\x1b(Bb\x1b=c\x1b7d"), [["abcd", null]]);
  });

  test("a carriage return keeps what follows it; a trailing one (CRLF) changes nothing", () => {
    assert.deepEqual(styled("10%\r50%\r100%"), [["100%", null]]);
    assert.deepEqual(styled(`${E}32mok${E}0m\r`), [["ok", { fg: 2 }]]);
  });

  test("other control characters and escapes cut short are dropped", () => {
    assert.deepEqual(styled("a\x07b\x08c\x00d\x7fe"), [["abcde", null]]);
    assert.deepEqual(styled(`tail${E}31`), [["tail", null]]);
    assert.deepEqual(styled("tail\x1b"), [["tail", null]]);
    assert.deepEqual(styled("tail\x1b]0;never ends"), [["tail", null]]);
  });

  test("a colour left on does not carry to the next line (each line is read alone)", () => {
    assert.deepEqual(styled(`${E}31mred`), [["red", { fg: 1 }]]);
    assert.deepEqual(styled("next"), [["next", null]]);
  });

  test("any input: no throw, and the text holds no escape or control character but tab", () => {
    const pieces = fc.oneof(
      fc.string(),
      fc.constantFrom("\x1b", "\x1b[", "\x1b]", "\x07", "\r", "\t", "\x9b", ";", ":", "m", "38", "5", "2", "\x1b\\", "[", "0"),
      fc.integer({ min: 0, max: 0x10ffff }).map((code) => String.fromCodePoint(code)),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 40 }), (parts) => {
        const line = parts.join("");
        const segments = ansi.parseAnsi(line);
        const text = segments.map((segment) => segment.text).join("");
        assert.equal(ansi.plainText(line), text);
        assert.doesNotMatch(text, /[\x00-\x08\x0a-\x1f\x7f\x9b]/);
        for (const segment of segments) if (segment.style) assert.ok(Object.keys(segment.style).length > 0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("rgbOf", () => {
  test("the 6×6×6 cube, the greys, and 24-bit colours", () => {
    assert.deepEqual(ansi.rgbOf(16), [0, 0, 0]);
    assert.deepEqual(ansi.rgbOf(208), [255, 135, 0]);
    assert.deepEqual(ansi.rgbOf(231), [255, 255, 255]);
    assert.deepEqual(ansi.rgbOf(232), [8, 8, 8]);
    assert.deepEqual(ansi.rgbOf(255), [238, 238, 238]);
    assert.deepEqual(ansi.rgbOf(ansi.TRUECOLOR_BASE + 0x7850ff), [120, 80, 255]);
  });
});
