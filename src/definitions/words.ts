/**
 * A command given as one string (`docker: { command: "…" }`), split into
 * argv words the way a shell would split it, but nothing expanded or run.
 * A `${{ … }}` template is one unit of a word: its spaces and quotes do not
 * split or quote anything, so a template is split before it is rendered and
 * its value always stays inside the one word it was written in. Pure.
 */
import { findTemplates } from "./templates.js";

export function splitWords(text: string): string[] {
  const templates = new Map(findTemplates(text).map((template) => [template.index, template.text]));
  const words: string[] = [];
  let current: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let index = 0; index < text.length; index++) {
    const template = templates.get(index);
    if (template !== undefined) {
      current = (current ?? "") + template;
      index += template.length - 1;
      continue;
    }
    const char = text[index]!;
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else if (char === "\\" && quote === '"' && index + 1 < text.length) current += text[++index]!;
      else current += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      current ??= "";
    } else if (char === "\\" && index + 1 < text.length) {
      current = (current ?? "") + text[++index]!;
    } else if (/\s/.test(char)) {
      if (current !== undefined) words.push(current);
      current = undefined;
    } else {
      current = (current ?? "") + char;
    }
  }
  if (current !== undefined) words.push(current);
  return words;
}
