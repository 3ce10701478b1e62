/**
 * spire(1) renders with man(1) as installed (groff underneath) without a
 * warning, at a terminal's width and in a plain ASCII locale, and has the
 * sections a manual page is expected to have.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/cli.js";
import { roff } from "../../src/docs/man-page.js";

const PAGE = join(REPO_ROOT, "man/spire.1");
const haveMan = spawnSync("man", ["--version"]).status === 0;

for (const locale of ["C.UTF-8", "C"]) {
  test(`man/spire.1 renders without warnings (LANG=${locale})`, { skip: haveMan ? false : "man(1) is not installed here" }, () => {
    const rendered = spawnSync("man", ["--warnings", "-l", PAGE], { env: { ...process.env, MANWIDTH: "80", LANG: locale, LC_ALL: locale, MANPAGER: "cat", PAGER: "cat" }, encoding: "utf8" });
    assert.equal(rendered.status, 0, rendered.stderr);
    assert.equal(rendered.stderr, "", "man and groff printed warnings");
    for (const section of ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "EXIT STATUS", "ENVIRONMENT", "FILES", "SEE ALSO"]) {
      assert.match(rendered.stdout, new RegExp(`^${section}$`, "m"), `section ${section}`);
    }
    assert.match(rendered.stdout, /^ {3}spire validate \[options\]$/m, "commands as subsections");
    assert.match(rendered.stdout, /^ {7}--engine <url>$/m, "options as typed, with plain hyphens");
  });
}

test("roff escaping: hyphens and backslashes as typed, no text line taken for a request, characters outside ASCII named", () => {
  assert.equal(roff("--data <dir>"), "\\-\\-data <dir>");
  assert.equal(roff("a\\b"), "a\\eb");
  assert.equal(roff(".hidden\n'quote"), "\\&.hidden\n\\&'quote");
  assert.equal(roff("wait… — done → é"), "wait... \\(em done \\(-> \\[u00E9]");
});
