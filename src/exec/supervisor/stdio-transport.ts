/**
 * The supervisor as a child of the CLI: requests on stdin, events on stdout.
 * Its parent is its only client, so when stdin closes (the parent exited,
 * even by SIGKILL) every attempt is canceled and the supervisor exits: a
 * killed `spire run -f` leaves no task behind.
 */
import { Socket } from "node:net";
import type { Writable } from "node:stream";
import { Supervisor } from "./supervisor.js";
import { LineSplitter } from "./protocol.js";
import { batchedWriter } from "./batched-writer.js";

/** Not process.stdout for a pipe: Node makes that blocking, and a client slow to read would stall every task's capture. */
function openOutput(): Writable {
  try {
    return new Socket({ fd: 1, readable: false, writable: true });
  } catch {
    return process.stdout; // a file or a terminal (someone trying it by hand)
  }
}

export function serveStdio(): void {
  const output = openOutput();
  let outputOpen = true;
  let ending = false;

  const end = async (reason: string): Promise<void> => {
    if (ending) return;
    ending = true;
    await supervisor.shutdown(reason);
    if (!outputOpen) process.exit(0);
    output.end(() => process.exit(0));
  };
  const supervisor = new Supervisor({ onShutdownRequest: (reason) => void end(reason) });
  output.on("error", () => {
    outputOpen = false;
    void end("canceled: the engine went away (its pipe broke)");
  });
  const write = batchedWriter(output);
  supervisor.attach({ send: (text) => void (outputOpen && write(text)) });

  const splitter = new LineSplitter((line) => supervisor.receive(line));
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => splitter.push(chunk));
  process.stdin.once("end", () => void end("canceled: the engine went away"));
  process.stdin.once("close", () => void end("canceled: the engine went away"));
  process.stdin.on("error", () => undefined); // "close" follows

  // Ctrl-C reaches the whole foreground group, this process too: the CLI decides what it means.
  process.on("SIGINT", () => undefined);
  process.on("SIGHUP", () => undefined);
  process.on("SIGTERM", () => void end("canceled: the supervisor got SIGTERM"));
}
