/**
 * Run ids: 16 lowercase characters that sort by creation time (10 of
 * Crockford base32 for the millisecond, 6 random), so that "newest first" is
 * an index order and a short prefix on the command line is usually unique.
 */
import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** Every run id newRunId makes, and nothing else. */
export const RUN_ID_PATTERN = new RegExp(`^[${ALPHABET}]{16}$`);

/** What may name a run where one is asked for or looked for (a request, a run's folder, SPIRE_RUN_ID): never a path. */
export const RUN_ID_SHAPE = /^[0-9a-z]{1,64}$/;

let lastMs = 0;
let lastRandom: number[] = [];

export function newRunId(now = Date.now()): string {
  let time = "";
  let rest = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[rest % 32] + time;
    rest = Math.floor(rest / 32);
  }
  // Within one millisecond, increment the random part so ids stay ordered.
  let random: number[];
  if (now === lastMs) {
    random = [...lastRandom];
    for (let i = random.length - 1; i >= 0; i--) {
      random[i] = (random[i]! + 1) % 32;
      if (random[i] !== 0) break;
    }
  } else {
    random = [...randomBytes(6)].map((byte) => byte % 32);
  }
  lastMs = now;
  lastRandom = random;
  return time + random.map((digit) => ALPHABET[digit]).join("");
}

/** The millisecond a run id was made at (its first 10 characters). */
export function runIdTime(id: string): number {
  let ms = 0;
  for (const char of id.slice(0, 10)) ms = ms * 32 + ALPHABET.indexOf(char);
  return ms;
}
