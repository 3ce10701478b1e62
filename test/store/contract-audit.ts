/** Store contract: the audit log. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { AuditRow } from "../../src/store/port.js";
import type { Open } from "./contract.js";
import { anAudit } from "./fixtures.js";

export function auditTests(open: Open): void {
  test("append returns the entry with a rising seq, and list reads it back newest first", async (t) => {
    const store = await open(t);
    const first = await store.appendAudit(anAudit("apply", { details: { created: ["a"], nested: { n: [1, null] } } }));
    const second = await store.appendAudit(anAudit("run.start", { actor: "token:ci", target: "01HRUN", ts: 5_000 }));
    assert.deepEqual(first, { ...anAudit("apply", { details: { created: ["a"], nested: { n: [1, null] } } }), seq: first.seq });
    assert.ok(Number.isInteger(first.seq) && second.seq > first.seq);
    assert.deepEqual(await store.listAudit({ limit: 10 }), [second, first]);
  });

  test("pages with before and limit through every entry once", async (t) => {
    const store = await open(t);
    const appended: AuditRow[] = [];
    for (let i = 0; i < 7; i++) appended.push(await store.appendAudit(anAudit(`a${i}`, { ts: i })));
    const seen: AuditRow[] = [];
    let before: number | undefined;
    // Bounded: a cursor that repeats its own entry must fail the test, not hang it.
    for (let pages = 0; pages < 10; pages++) {
      const page = await store.listAudit({ limit: 3, ...(before === undefined ? {} : { before }) });
      if (page.length === 0) break;
      assert.ok(page.length <= 3);
      seen.push(...page);
      before = page.at(-1)!.seq;
    }
    assert.deepEqual(seen, appended.reverse());
  });

  test("an empty log lists nothing, and a before below every seq lists nothing", async (t) => {
    const store = await open(t);
    assert.deepEqual(await store.listAudit({ limit: 10 }), []);
    const only = await store.appendAudit(anAudit("token.create"));
    assert.deepEqual(await store.listAudit({ limit: 10, before: only.seq }), []);
    assert.deepEqual(await store.listAudit({ limit: 10, before: only.seq + 1 }), [only]);
  });
}
