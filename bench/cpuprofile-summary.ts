/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by
 * function and by package/folder, so a benchmark's "what limits it" can be
 * read without DevTools.
 *
 *   node dist/bench/cpuprofile-summary.js FILE.cpuprofile [top=25]
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const profile = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as Profile;
const top = Number(process.argv[3] ?? 25);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

function area(url: string): string {
  if (url === "") return "(native/V8)";
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  if (url.startsWith("node:")) return "node core";
  const own = /\/dist\/(src\/[^/]+(?:\/[^/]+)?)/.exec(url);
  return own ? own[1]!.replace(/\.js$/, "") : url;
}

const byFunction = new Map<string, number>();
const byArea = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const key = `${functionName || "(anonymous)"} ${url ? url.replace(/^.*\/(node_modules|dist)\//, "$1/") + ":" + (lineNumber + 1) : ""}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  byArea.set(area(url), (byArea.get(area(url)) ?? 0) + us);
}
const show = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`);
  }
};
console.log(`profile: ${(total / 1e6).toFixed(2)} s of samples`);
show("self time by area", byArea);
show("self time by function", byFunction);

// Inclusive time of chosen functions (FUNCTION or FUNCTION@file-part), from the fourth argument on.
const wanted = process.argv.slice(4);
if (wanted.length > 0) {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>(wanted.map((label) => [label, 0]));
  const matches = (node: Node, label: string) => {
    const [name, file] = label.split("@");
    return node.callFrame.functionName === name && (file === undefined || node.callFrame.url.includes(file));
  };
  profile.samples.forEach((id, index) => {
    const hit = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      for (const label of wanted) if (matches(byId.get(at)!, label)) hit.add(label);
    }
    for (const label of hit) inclusive.set(label, inclusive.get(label)! + (profile.timeDeltas[index] ?? 0));
  });
  console.log("\ninclusive time");
  for (const [label, us] of inclusive) console.log(`  ${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${label}`);
}
