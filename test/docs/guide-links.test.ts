/** The guides link only to files of the repository, and every link leads to one that exists (a heading of it, when it names one). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { REPO_ROOT } from "../helpers/cli.js";

const GUIDES = join(REPO_ROOT, "docs", "guides");

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

test("every link in a guide leads to a file of the repository that exists", () => {
  const guides = readdirSync(GUIDES).filter((name) => name.endsWith(".md"));
  assert.ok(guides.length > 0);
  const problems: string[] = [];
  for (const name of guides) {
    const path = join(GUIDES, name);
    // Links in code blocks are examples, not links.
    const text = readFileSync(path, "utf8").replace(/^(\s*)```[\s\S]*?^\1```/gm, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const where = `docs/guides/${name}: ${target}`;
      if (/^[a-z]+:/i.test(target!)) {
        problems.push(`${where}: a guide links only to files of the repository`);
        continue;
      }
      const [file, anchor] = target!.split("#");
      const linked = file === "" ? path : resolve(dirname(path), file!);
      if (relative(REPO_ROOT, linked).startsWith("..") || !existsSync(linked)) {
        problems.push(`${where}: no such file in the repository`);
        continue;
      }
      if (anchor && linked.endsWith(".md")) {
        const headings = [...readFileSync(linked, "utf8").matchAll(/^#+ (.+)$/gm)].map((match) => anchorOf(match[1]!));
        if (!headings.includes(anchor)) problems.push(`${where}: no heading #${anchor} there`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
