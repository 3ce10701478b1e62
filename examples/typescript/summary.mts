// A task written in TypeScript: a summary of this machine's disk and memory,
// as metrics and an output Spire keeps with the run. Compiled by the first
// task of examples/typescript.yaml and run by the second.
import { statfsSync } from "node:fs";
import { freemem, totalmem } from "node:os";

interface Usage {
  name: string;
  usedPercent: number;
}

function percent(used: number, total: number): number {
  return total === 0 ? 0 : Math.round((used / total) * 1000) / 10;
}

const folder = process.argv[2] ?? "/";
const disk = statfsSync(folder);
const usages: Usage[] = [
  { name: "disk", usedPercent: percent((disk.blocks - disk.bavail) * disk.bsize, disk.blocks * disk.bsize) },
  { name: "memory", usedPercent: percent(totalmem() - freemem(), totalmem()) },
];

for (const { name, usedPercent } of usages) {
  console.log(`${name}: ${usedPercent}% used`);
  console.log(`::metric::${name}_used_pct=${usedPercent}`);
  if (usedPercent > 90) console.log(`::warning::${name} is ${usedPercent}% full`);
}
console.log(`::output::fullest=${usages.reduce((a, b) => (b.usedPercent > a.usedPercent ? b : a)).name}`);
