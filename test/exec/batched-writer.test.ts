import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { batchedWriter } from "../../src/exec/supervisor/batched-writer.js";

/** A stream that records each write it is given (corked lines come as one writev). */
function recorder(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString());
      done();
    },
    writev(chunks, done) {
      writes.push(chunks.map(({ chunk }) => String(chunk)).join(""));
      done();
    },
  });
  return { stream, writes };
}

const checkPhase = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("batchedWriter", () => {
  test("the lines of one turn go as one write, at its check phase", async () => {
    const { stream, writes } = recorder();
    const write = batchedWriter(stream);
    write("a\n");
    await Promise.resolve().then(() => write("b\n"));
    await new Promise<void>((resolve) => process.nextTick(resolve));
    assert.deepEqual(writes, []);
    await checkPhase();
    assert.deepEqual(writes, ["a\nb\n"]);
  });

  test("firstAtOnce: the turn's first lines go once their callback's promises are done; later ones wait for the check phase", async () => {
    const { stream, writes } = recorder();
    const write = batchedWriter(stream, { firstAtOnce: true });
    const seen: string[][] = [];
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        // Two launches of one store write, each in its own promise continuation: one write.
        void Promise.resolve()
          .then(() => write("a\n"))
          .then(() => write("b\n"))
          .then(() =>
            process.nextTick(() => {
              seen.push([...writes]);
              // Later in the same turn: batched until its check phase.
              write("c\n");
              write("d\n");
              process.nextTick(() => seen.push([...writes]));
              setImmediate(() => resolve());
            }),
          );
      }, 0),
    );
    assert.deepEqual(seen, [["a\nb\n"], ["a\nb\n"]]);
    assert.deepEqual(writes, ["a\nb\n", "c\nd\n"]);
    // A new turn: its first lines go at once again.
    write("e\n");
    await new Promise<void>((resolve) => process.nextTick(resolve));
    assert.deepEqual(writes, ["a\nb\n", "c\nd\n", "e\n"]);
  });
});
