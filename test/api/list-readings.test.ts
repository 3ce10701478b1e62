/**
 * What the UI's lists read without a request per row: each run's warning and
 * error counts in GET /runs (the runs page), and, in GET /pipelines, whether
 * the clocks change before a trigger's next fire time (the pipelines page
 * marks it), counted from now as the first of a pipeline's next slots is.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { finishedRun, startApi } from "./harness.js";

checkNoLeftoverProcesses();

const NOISY = `
pipelines:
  noisy:
    tasks:
      talk:
        run: |
          echo "::warning::one"; echo "::warning::two"; echo "::error::three"
      fail:
        run: echo "::error::gone wrong" && exit 1
  quiet:
    tasks:
      hush: { run: "true" }
`;

interface Summary {
  id: string;
  pipeline: string;
  warnings: number;
  errors: number;
}

test("GET /runs gives each run's warning and error counts, as GET /runs/{id} does", async (t) => {
  const api = await startApi(t);
  await api.apply(NOISY);
  const finished: { id: string; warnings: number; errors: number }[] = [];
  for (const name of ["noisy", "quiet"]) {
    const started = await api.call("POST", `/pipelines/test/${name}/runs`, { as: "run", body: {} });
    assert.equal(started.status, 201, await started.clone().text());
    finished.push((await finishedRun(api, ((await started.json()) as { id: string }).id)) as { id: string; warnings: number; errors: number });
  }
  assert.deepEqual([finished[0]!.warnings, finished[0]!.errors], [2, 2]);
  const response = await api.call("GET", "/runs?limit=10", { as: "read" });
  assert.equal(response.status, 200);
  const { runs } = (await response.json()) as { runs: Summary[] };
  for (const run of finished) {
    const listed = runs.find((entry) => entry.id === run.id)!;
    assert.deepEqual([listed.warnings, listed.errors], [run.warnings, run.errors], listed.pipeline);
  }
});

const ZONE = "Europe/Berlin";

/** The zone's UTC offset at an instant, as +01:00. */
function offsetAt(at: number): string {
  const name = new Intl.DateTimeFormat("en-US", { timeZone: ZONE, timeZoneName: "longOffset" }).formatToParts(new Date(at)).find((part) => part.type === "timeZoneName")!.value;
  return name === "GMT" ? "+00:00" : name.slice(3);
}

/** Noon (in ZONE) of the first day from `days` days on whose offset is (or is not) now's. */
function noonWhere(sameOffset: boolean, days: number): { at: string; offset: string } {
  const now = Date.now();
  for (let day = days; ; day += 7) {
    const instant = now + day * 86_400_000;
    const offset = offsetAt(instant);
    if ((offset === offsetAt(now)) === sameOffset) return { at: `${new Date(instant).toISOString().slice(0, 10)}T12:00:00`, offset };
  }
}

interface Reading {
  next_fire_at: string | null;
  next_offset_change: { before: string; after: string } | null;
  next?: { at: string; offset_change: { before: string; after: string } | null }[];
}

test("GET /pipelines marks a change of the clocks before a trigger's next fire time; the pipeline's first next slot says the same", async (t) => {
  const api = await startApi(t);
  const across = noonWhere(false, 30);
  const within = noonWhere(true, 2);
  await api.apply(`
pipelines:
  across:
    triggers:
      - at: "${across.at}"
        timezone: ${ZONE}
    tasks:
      a: { run: "true" }
  within:
    triggers:
      - at: "${within.at}"
        timezone: ${ZONE}
      - webhook: true
    tasks:
      a: { run: "true" }
`);
  const response = await api.call("GET", "/pipelines?namespace=test", { as: "read" });
  assert.equal(response.status, 200);
  const { pipelines } = (await response.json()) as { pipelines: { name: string; trigger_info: Reading[] }[] };
  const reading = (name: string) => pipelines.find((pipeline) => pipeline.name === name)!.trigger_info;
  const now = offsetAt(Date.now());
  assert.deepEqual(reading("across")[0]!.next_offset_change, { before: now, after: across.offset });
  assert.equal(reading("within")[0]!.next_offset_change, null);
  assert.equal(reading("within")[1]!.next_fire_at, null);
  assert.equal(reading("within")[1]!.next_offset_change, null, "a trigger without a next fire time has no change before it");

  const detail = (await (await api.call("GET", "/pipelines/test/across", { as: "read" })).json()) as { trigger_info: Reading[] };
  assert.deepEqual(detail.trigger_info[0]!.next![0]!.offset_change, { before: now, after: across.offset }, "the first slot counts from now");
  assert.deepEqual(detail.trigger_info[0]!.next_offset_change, detail.trigger_info[0]!.next![0]!.offset_change);
});
