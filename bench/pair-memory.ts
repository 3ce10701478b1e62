/**
 * The memory of processes that run together (the engine and its supervisor),
 * counted the ways that matter: each one's RSS, PSS and USS, and the pages
 * resident in either counted once — what the pair costs the machine.
 *
 * Two node processes share most of the node binary's pages: the RSS sum
 * counts them twice. The PSS sum counts them once only if nothing else maps
 * them: PSS divides a shared page among every process on the machine that
 * maps it — this bench's own node, other node programs — so on a machine
 * with other node processes it comes out below what the pair costs, and it
 * moves with them. The union of the pair's physical pages (from
 * /proc/<pid>/pagemap, which shows frame numbers to root only) does not:
 * it is the judged figure when it can be read, the PSS sum otherwise.
 */
import { spawn } from "node:child_process";
import { memoryOf, unionResident, type MemoryView } from "./proc.js";

const MB = 1024 * 1024;

export interface PairMemory {
  /** Per process, MB. */
  each: { label: string; pid: number; rss_mb: number; pss_mb: number; uss_mb: number; anonymous_mb: number }[];
  rss_sum_mb: number;
  pss_sum_mb: number;
  uss_sum_mb: number;
  /** Pages resident in any of them, each counted once, MB; null when the frame numbers are hidden (not root). */
  union_mb: number | null;
  /** The figure a target is judged on: the union when known, else the PSS sum. */
  judged: "union" | "pss_sum";
  judged_mb: number;
}

export function pairMemory(processes: { label: string; pid: number }[]): PairMemory | undefined {
  const views: (MemoryView & { label: string; pid: number })[] = [];
  for (const { label, pid } of processes) {
    const view = memoryOf(pid);
    if (view === undefined) return undefined;
    views.push({ label, pid, ...view });
  }
  const union = unionResident(processes.map(({ pid }) => pid));
  const sum = (key: keyof MemoryView) => views.reduce((total, view) => total + view[key], 0) / MB;
  const pssSum = sum("pss");
  return {
    each: views.map((view) => ({ label: view.label, pid: view.pid, rss_mb: view.rss / MB, pss_mb: view.pss / MB, uss_mb: view.uss / MB, anonymous_mb: view.anonymous / MB })),
    rss_sum_mb: sum("rss"),
    pss_sum_mb: pssSum,
    uss_sum_mb: sum("uss"),
    union_mb: union === undefined ? null : union / MB,
    judged: union === undefined ? "pss_sum" : "union",
    judged_mb: union === undefined ? pssSum : union / MB,
  };
}

/** Two bare `node -e 'setInterval(()=>{},1000)'` processes, measured after `settleMs`: the floor of any pair of node processes. */
export async function bareNodePair(settleMs = 3000): Promise<PairMemory> {
  const children = [0, 1].map(() => spawn(process.execPath, ["-e", "setInterval(()=>{},1000)"], { stdio: "ignore" }));
  try {
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const pair = pairMemory(children.map((child, index) => ({ label: `bare node ${index + 1}`, pid: child.pid! })));
    if (pair === undefined) throw new Error("a bare node process exited before it was measured");
    return pair;
  } finally {
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.once("exit", resolve), child.kill())))));
  }
}

const mb = (value: number) => value.toFixed(1).padStart(5);

export function printPair(title: string, pair: PairMemory, indent = "   "): void {
  console.log(`${indent}${title}`);
  for (const one of pair.each) {
    console.log(`${indent}  ${one.label.padEnd(12)} pid ${String(one.pid).padEnd(7)} RSS ${mb(one.rss_mb)}   PSS ${mb(one.pss_mb)}   USS ${mb(one.uss_mb)}   (anonymous ${mb(one.anonymous_mb)}) MB`);
  }
  const union = pair.union_mb === null ? "not readable (pagemap frame numbers need root)" : `${pair.union_mb.toFixed(1)} MB`;
  console.log(`${indent}  together     RSS sum ${mb(pair.rss_sum_mb)}   PSS sum ${mb(pair.pss_sum_mb)}   USS sum ${mb(pair.uss_sum_mb)} MB;   resident pages counted once: ${union}`);
}

export const JUDGED_EXPLANATION = [
  "judged on the pages resident in either process counted once (/proc/<pid>/pagemap): what the pair costs the machine.",
  "The RSS sum counts the node binary's shared pages twice; the PSS sum divides them among every process that maps them",
  "(this bench's node, other node programs here), so it reads low when other node processes run. Without root: the PSS sum.",
];
