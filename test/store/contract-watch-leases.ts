/**
 * Store contract: `spire watch` leases. The store keeps one term and one
 * holder per pipeline, by its own clock, for every store opened on the same
 * database (engines sharing it, an engine started again).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Open } from "./contract.js";

const TERM_MS = 60_000;

export function watchLeaseTests(open: Open): void {
  test("a term granted has no holder; a grant keeps a term it finds, unless at start, where it lasts a whole term at least", async (t) => {
    const store = await open(t);
    assert.equal(await store.watchLease("w", "p"), undefined);
    await store.grantWatchLease("w", "p", TERM_MS);
    const granted = await store.watchLease("w", "p");
    assert.equal(granted?.holder, null);
    assert.ok(granted!.leftMs > TERM_MS - 5_000 && granted!.leftMs <= TERM_MS, `left ${granted!.leftMs}`);
    await store.renewWatchLease("w", "p", "watcher-a", 1_000);
    await store.grantWatchLease("w", "p", TERM_MS);
    const kept = await store.watchLease("w", "p");
    assert.equal(kept?.holder, "watcher-a");
    assert.ok(kept!.leftMs <= 1_000, `a grant does not stretch a term it finds: left ${kept!.leftMs}`);
    await store.grantWatchLease("w", "p", TERM_MS, true);
    const stretched = await store.watchLease("w", "p");
    assert.equal(stretched?.holder, "watcher-a", "the holder is kept at start");
    assert.ok(stretched!.leftMs > TERM_MS - 5_000, `at start a whole term: left ${stretched!.leftMs}`);
  });

  test("the first holder to renew holds the term; another's renewal is refused with what is left; without a holder it is renewed and the holder kept", async (t) => {
    const store = await open(t);
    const first = await store.renewWatchLease("w", "p", "watcher-a", TERM_MS);
    assert.deepEqual(first, { renewed: true, term: { holder: "watcher-a", leftMs: TERM_MS } });
    const refused = await store.renewWatchLease("w", "p", "watcher-b", TERM_MS);
    assert.equal(refused.renewed, false);
    assert.equal(refused.term.holder, "watcher-a");
    assert.ok(refused.term.leftMs > TERM_MS - 5_000 && refused.term.leftMs <= TERM_MS, `left ${refused.term.leftMs}`);
    assert.deepEqual(await store.renewWatchLease("w", "p", null, TERM_MS), { renewed: true, term: { holder: "watcher-a", leftMs: TERM_MS } });
    assert.deepEqual(await store.renewWatchLease("w", "p", "watcher-a", TERM_MS), { renewed: true, term: { holder: "watcher-a", leftMs: TERM_MS } });
    // Another pipeline's term is its own.
    assert.equal((await store.renewWatchLease("w", "q", "watcher-b", TERM_MS)).renewed, true);
  });

  test("a term run out is taken by another holder, and ended once by whoever ends run-out terms; a running one is not", async (t) => {
    const store = await open(t);
    await store.renewWatchLease("w", "p", "watcher-a", TERM_MS);
    assert.equal(await store.endWatchLease("w", "p", true), false, "not run out: not ended");
    assert.equal((await store.watchLease("w", "p"))?.holder, "watcher-a");
    await store.renewWatchLease("w", "p", "watcher-a", 0);
    assert.ok((await store.watchLease("w", "p"))!.leftMs <= 0);
    assert.deepEqual(await store.renewWatchLease("w", "p", "watcher-b", TERM_MS), { renewed: true, term: { holder: "watcher-b", leftMs: TERM_MS } });
    await store.renewWatchLease("w", "p", "watcher-b", 0);
    assert.equal(await store.endWatchLease("w", "p", true), true);
    assert.equal(await store.endWatchLease("w", "p", true), false, "ended once");
    assert.equal(await store.watchLease("w", "p"), undefined);
    await store.grantWatchLease("w", "p", TERM_MS);
    assert.equal(await store.endWatchLease("w", "p", false), true, "ended whatever its state");
    assert.equal(await store.endWatchLease("w", "p", false), false);
  });

  test("a second store on the same database sees the term and its holder", async (t) => {
    const first = await open(t);
    await first.renewWatchLease("w", "p", "watcher-a", TERM_MS);
    const second = await open(t, first);
    assert.equal((await second.watchLease("w", "p"))?.holder, "watcher-a");
    assert.equal((await second.renewWatchLease("w", "p", "watcher-b", TERM_MS)).renewed, false);
  });
}
