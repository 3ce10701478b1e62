/**
 * The supervisor as a daemon on a Unix socket (for the engine): tasks go on
 * when the client disconnects, their reports are kept, and a client that
 * connects later (one at a time) collects them. It exits after `shutdown`,
 * or after `idleExitMs` with no running attempt and no client (reports not
 * yet acked are on disk beside each log by then).
 */
import { chmod, unlink } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { Supervisor } from "./supervisor.js";
import { encode, LineSplitter } from "./protocol.js";
import { batchedWriter } from "./batched-writer.js";
import { claimPidFile, releasePidFile } from "./pid-file.js";
import { makePrivateDir } from "../../files/private.js";

export interface SocketOptions {
  socketPath: string;
  /** 0: never exit for idleness. */
  idleExitMs: number;
}

export class SocketTransport {
  readonly #options: SocketOptions;
  readonly #supervisor: Supervisor;
  readonly #server: Server;
  #client: Socket | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(options: SocketOptions) {
    this.#options = options;
    this.#supervisor = new Supervisor({
      onShutdownRequest: (reason) => void this.stop(reason),
      onActivity: () => this.#checkIdle(),
    });
    this.#server = createServer((socket) => this.#accept(socket));
  }

  /** Claims the socket (throws, with a message for the user, when a live supervisor has it) and listens. */
  async listen(): Promise<void> {
    const { socketPath } = this.#options;
    await makePrivateDir(dirname(socketPath));
    await claimPidFile(socketPath);
    await unlink(socketPath).catch(() => undefined); // left by a supervisor that died; the pid file says it is not live
    // The socket is created with mode 0600 from the start: no moment when another user could connect.
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        this.#server.once("error", reject);
        this.#server.listen(socketPath, () => resolve());
      });
    } finally {
      process.umask(umask);
    }
    await chmod(socketPath, 0o600);
    process.on("SIGINT", () => void this.stop("canceled: the supervisor got SIGINT"));
    process.on("SIGTERM", () => void this.stop("canceled: the supervisor got SIGTERM"));
    process.on("SIGHUP", () => undefined);
    this.#checkIdle();
  }

  /** Cancels every attempt, waits for their reports to be written and sent, removes the socket and pid file, exits. */
  async stop(reason: string): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearTimeout(this.#idleTimer);
    this.#server.close();
    await this.#supervisor.shutdown(reason);
    await unlink(this.#options.socketPath).catch(() => undefined);
    await releasePidFile(this.#options.socketPath);
    const client = this.#client;
    if (client === undefined || client.destroyed) process.exit(0);
    client.end(() => process.exit(0));
    client.once("close", () => process.exit(0));
  }

  #accept(socket: Socket): void {
    socket.on("error", () => undefined); // "close" follows
    if (this.#client !== undefined || this.#stopping) {
      const message = this.#stopping ? "the supervisor is shutting down" : "another client is connected to this supervisor";
      socket.end(encode({ type: "error", message }));
      return;
    }
    this.#client = socket;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const peer = { send: batchedWriter(socket) };
    this.#supervisor.attach(peer);
    const splitter = new LineSplitter((line) => this.#supervisor.receive(line));
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => splitter.push(chunk));
    socket.once("close", () => {
      this.#supervisor.detach(peer);
      this.#client = undefined;
      this.#checkIdle();
    });
  }

  #checkIdle(): void {
    const idle = !this.#stopping && this.#client === undefined && this.#supervisor.runningCount === 0;
    if (!idle || this.#options.idleExitMs <= 0) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    } else if (this.#idleTimer === undefined) {
      this.#idleTimer = setTimeout(() => void this.stop("canceled: the supervisor was idle"), this.#options.idleExitMs);
    }
  }
}
