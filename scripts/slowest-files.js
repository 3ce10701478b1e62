// A reporter of node:test (scripts/test.js adds it after the spec reporter for a whole run): at the end, the
// test files that took longest, each from its process's start to its end, so that the suite's time stays in view.
const SHOWN = 12;

export default async function* slowestFiles(source) {
  const seconds = new Map();
  for await (const event of source) {
    // Each file is a test of its own, named by its path, that completes when its process has ended.
    if (event.type === "test:complete" && event.data.nesting === 0 && event.data.name === event.data.file) {
      seconds.set(event.data.file.replace(/^.*?dist\/test\//, ""), (event.data.details?.duration_ms ?? 0) / 1000);
    }
  }
  const rows = [...seconds].sort((a, b) => b[1] - a[1]);
  if (rows.length < 2) return;
  yield `\nslowest test files (each file's process, start to end):\n`;
  for (const [file, taken] of rows.slice(0, SHOWN)) yield `${taken.toFixed(1).padStart(7)} s  ${file}\n`;
}
