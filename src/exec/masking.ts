/**
 * Replaces secret values by *** in captured text.
 *
 * Values shorter than 4 characters are ignored: masking "a" or "42" would
 * hide ordinary output and tell an observer what the secret is. A value
 * that spans lines is also masked line by line, because output is masked
 * one line at a time (as GitHub Actions does for multi-line secrets).
 */
export const MIN_SECRET_LENGTH = 4;
export const MASK = "***";

export class Masker {
  /** Longest first, so a secret containing another is masked whole. */
  #values: string[] = [];
  /** The values as UTF-8, to tell from a line's bytes whether it needs masking at all. */
  #bytes: Buffer[] = [];

  constructor(secrets: Iterable<string> = []) {
    for (const secret of secrets) this.add(secret);
  }

  get active(): boolean {
    return this.#values.length > 0;
  }

  add(secret: string): void {
    const parts = [secret, ...(secret.includes("\n") ? secret.split(/\r?\n/) : [])];
    let changed = false;
    for (const part of parts) {
      if (part.length >= MIN_SECRET_LENGTH && !this.#values.includes(part)) {
        this.#values.push(part);
        changed = true;
      }
    }
    if (!changed) return;
    this.#values.sort((a, b) => b.length - a.length);
    this.#bytes = this.#values.map((value) => Buffer.from(value, "utf8"));
  }

  /** Whether some value occurs in `bytes[start, end)` (the whole of `bytes` by default). */
  occursIn(bytes: Buffer, start = 0, end = bytes.length): boolean {
    const within = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
    for (const value of this.#bytes) if (within.indexOf(value) >= 0) return true;
    return false;
  }

  mask(text: string): string {
    let result = text;
    for (const value of this.#values) {
      if (result.includes(value)) result = result.replaceAll(value, MASK);
    }
    return result;
  }
}
