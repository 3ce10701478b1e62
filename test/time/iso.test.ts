/** isoTime gives exactly what Date#toISOString gives, for any time a Date holds. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { isoTime } from "../../src/time/iso.js";

test("isoTime matches Date#toISOString: random times, day and year edges, before 1970 and past 9999", () => {
  const edges = [0, -1, 1, 86_399_999, 86_400_000, -86_400_000, 951_782_400_000 /* 2000-02-29 */, 253_402_300_799_999 /* 9999-12-31T23:59:59.999 */, 253_402_300_800_000, -62_198_755_200_000 /* year 0 */, -62_198_755_200_001, 8.64e15, -8.64e15];
  const random = Array.from({ length: 50_000 }, () => Math.floor((Math.random() - 0.3) * 4e12));
  for (const ms of [...edges, ...random]) assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
});
