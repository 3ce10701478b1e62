/**
 * A TCP proxy between an engine and PostgreSQL that a test can make
 * misbehave, the way networks do: connections reset, a slow link, and a
 * silent one (packets dropped, nothing closed: the failure node-postgres
 * #3003 describes, where a LISTEN connection dies without a word and the
 * client waits forever for an answer).
 *
 * Point a client at `127.0.0.1:<port>` instead of the server; everything it
 * sends reaches the server unchanged until the test says otherwise.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** Connections it forwards now (not the dead ones a blackhole left). */
  readonly open: number;
  /** `url` with its host and port replaced by the proxy's. */
  through(url: string): string;
  /** Ends every open connection, both ways at once, with a reset where Node can send one (no FIN, no goodbye). */
  cut(): void;
  /**
   * From now on holds every chunk, in both directions, for `ms` before
   * passing it on (a round trip gains 2 × ms); chunks keep their order, even
   * when the delay shrinks. 0 forwards at once again.
   */
  delay(ms: number): void;
  /**
   * On: connections are accepted and what they carry is dropped, both ways,
   * with no error and no close. Such a connection stays dead after the
   * blackhole is lifted (the bytes it lost are gone: its stream is broken),
   * as after a NAT or firewall forgets it; only its client giving up ends it.
   * Off: new connections work again.
   */
  blackhole(on: boolean): void;
  /**
   * Every open connection stops where it is: nothing more is read from
   * either side, nothing is closed, so a goodbye (a FIN) is never answered,
   * as over a link that went silent. Until close().
   */
  freeze(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  server: Socket;
  /** Lived through a blackhole: nothing passes any more. */
  dead: boolean;
}

/** A proxy to `target` (default: the test PostgreSQL at 127.0.0.1:5432), listening on an ephemeral port. */
export async function startTcpProxy(target: { host: string; port: number } = { host: "127.0.0.1", port: 5432 }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let delayMs = 0;
  let holing = false;

  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, server: upstream, dead: holing };
    pairs.add(pair);
    forward(pair, client, upstream);
    forward(pair, upstream, client);
    const ended = () => {
      // One side of a dead connection never hears that the other left (the network in between says nothing).
      if (!pair.dead) {
        client.destroy();
        upstream.destroy();
      }
      if (client.destroyed && upstream.destroyed) pairs.delete(pair);
    };
    for (const socket of [client, upstream]) {
      socket.on("error", () => {});
      socket.on("close", ended);
    }
  });

  /** Passes `from`'s data to `to`, after the delay in force when it came, never ahead of earlier chunks. */
  function forward(pair: Pair, from: Socket, to: Socket): void {
    const held: { chunk: Buffer; due: number }[] = [];
    let timer: NodeJS.Timeout | undefined;
    let lastDue = 0;
    const pump = () => {
      timer = undefined;
      while (held.length > 0) {
        if (pair.dead) return void (held.length = 0);
        const wait = held[0]!.due - performance.now();
        if (wait > 0) return void (timer = setTimeout(pump, wait));
        const { chunk } = held.shift()!;
        if (!to.destroyed && !to.write(chunk) && !from.isPaused()) {
          // The reader is slow: read no more from the writer until it has caught up.
          from.pause();
          to.once("drain", () => from.resume());
        }
      }
    };
    from.on("data", (chunk: Buffer) => {
      if (holing) pair.dead = true;
      if (pair.dead) return;
      lastDue = Math.max(lastDue, performance.now() + delayMs);
      held.push({ chunk, due: lastDue });
      if (timer === undefined) pump();
    });
    from.on("close", () => clearTimeout(timer));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const reset = (socket: Socket) => (typeof socket.resetAndDestroy === "function" && !socket.destroyed && !socket.connecting ? socket.resetAndDestroy() : socket.destroy());

  return {
    port,
    get open() {
      return [...pairs].filter((pair) => !pair.dead).length;
    },
    through(url) {
      const parsed = new URL(url);
      parsed.hostname = "127.0.0.1";
      parsed.port = String(port);
      return parsed.toString();
    },
    cut() {
      for (const pair of pairs) {
        reset(pair.client);
        reset(pair.server);
      }
      pairs.clear();
    },
    delay(ms) {
      delayMs = ms;
    },
    blackhole(on) {
      holing = on;
      if (on) for (const pair of pairs) pair.dead = true;
    },
    freeze() {
      for (const pair of pairs) {
        pair.dead = true;
        pair.client.pause();
        pair.server.pause();
      }
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.server.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
