// A reporter of node:test (scripts/test.js adds it after the spec reporter): at the end of a run, the test
// files that took longest, from their first event to their last, so that the suite's time stays in view.
const SHOWN = 12;

export default async function* slowestFiles(source) {
  const spans = new Map();
  for await (const event of source) {
    const file = event.data?.file;
    // Every file is enqueued at the start: its time begins with what its own process reports.
    if (!file || event.type === "test:enqueue" || event.type === "test:dequeue") continue;
    const now = performance.now();
    const span = spans.get(file);
    if (span) span.last = now;
    else spans.set(file, { first: now, last: now });
  }
  const rows = [...spans].map(([file, span]) => [file.replace(/^.*?dist\/test\//, ""), (span.last - span.first) / 1000]).sort((a, b) => b[1] - a[1]);
  if (rows.length < 2) return;
  yield `\nslowest test files (first to last event):\n`;
  for (const [file, seconds] of rows.slice(0, SHOWN)) yield `${seconds.toFixed(1).padStart(7)} s  ${file}\n`;
}
