/** When a task's attempt is tried again (pure). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { retryDelay } from "../../src/engine/runs/attempt-retry.js";

const retries = { max: 3, backoff: 100, factor: 2, max_delay: 300 };

test("a failure, a timeout or an interruption is retried up to max times, each delay factor times the last, up to max_delay", () => {
  assert.deepEqual([1, 2, 3, 4].map((attempt) => retryDelay(retries, attempt, { state: "failed" }, false)), [100, 200, 300, undefined]);
  assert.equal(retryDelay(retries, 1, { state: "timed_out" }, false), 100);
  assert.equal(retryDelay(retries, 1, { state: "interrupted" }, false), 100);
});

test("no retry for a success, a cancel, a stopping run, a task that can never start here, or a task without retries", () => {
  assert.equal(retryDelay(retries, 1, { state: "succeeded" }, false), undefined);
  assert.equal(retryDelay(retries, 1, { state: "canceled" }, false), undefined);
  assert.equal(retryDelay(retries, 1, { state: "failed" }, true), undefined);
  assert.equal(retryDelay(retries, 1, { state: "failed", hopeless: true }, false), undefined);
  assert.equal(retryDelay(undefined, 1, { state: "failed" }, false), undefined);
});
