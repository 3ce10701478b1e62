/** A plist as a real parser reads it: python3's plistlib (the format's reference outside macOS). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

export function parsePlist(file: string): Record<string, unknown> {
  const read = spawnSync("python3", ["-c", "import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], 'rb'))))", file], { encoding: "utf8" });
  assert.equal(read.status, 0, `plistlib could not read ${file}: ${read.stderr}`);
  return JSON.parse(read.stdout) as Record<string, unknown>;
}
