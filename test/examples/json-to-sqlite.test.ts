/** examples/json-to-sqlite.yaml: JSON served by a local HTTP server is downloaded, cleaned in Python and loaded into SQLite, idempotently. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { recipePath } from "../helpers/recipe.js";

checkNoLeftoverProcesses();

test("the JSON to SQLite recipe loads the valid readings, warns about the others, and a second run adds without duplicating", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const db = join(dir, "readings.db");
  let readings: unknown[] = [
    { station: "North ", time: "2027-03-01T10:00:00Z", temp_c: 3.456 },
    { station: "south", time: "2027-03-01T10:00:00Z", temp_c: "7.1" },
    { station: "east", time: "2027-03-01T10:00:00Z", temp_c: null },
    { time: "2027-03-01T10:00:00Z" },
  ];
  const server = createServer((request, response) => {
    if (request.url !== "/readings.json") return void response.writeHead(404).end();
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ readings }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/readings.json`;
  const load = () => spire(["run", "-f", recipePath("json-to-sqlite.yaml"), "--arg", `url=${url}`, "--arg", `db=${db}`, "--json"], { data });

  const first = await load();
  assert.equal(first.code, 0, first.stderr);
  const run = JSON.parse(first.stdout);
  assert.equal(run.warnings, 1, "the two unusable readings are one warning");
  assert.equal(run.metrics.rows.sum, 2);
  const rows = () => {
    const connection = new Database(db, { readonly: true });
    try {
      return connection.prepare("SELECT station, time, temp_c FROM readings ORDER BY station, time").all();
    } finally {
      connection.close();
    }
  };
  assert.deepEqual(rows(), [
    { station: "north", time: "2027-03-01T10:00:00Z", temp_c: 3.46 },
    { station: "south", time: "2027-03-01T10:00:00Z", temp_c: 7.1 },
  ]);

  readings = [...readings.slice(0, 2), { station: "north", time: "2027-03-01T11:00:00Z", temp_c: 4 }];
  const second = await load();
  assert.equal(second.code, 0, second.stderr);
  assert.equal(JSON.parse(second.stdout).tasks.find((task: { path: string }) => task.path === "load").outputs.total, "3");
  assert.equal(rows().length, 3, "the readings already loaded are replaced, not added again");

  const wrongScheme = await spire(["run", "-f", recipePath("json-to-sqlite.yaml"), "--arg", "url=ftp://example.org/x", "--arg", `db=${db}`], { data });
  assert.equal(wrongScheme.code, 2, "only http and https URLs");
});
