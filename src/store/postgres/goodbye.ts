/**
 * Closing a PostgreSQL connection waits for its other end to close too.
 * Over a connection that went silent (a NAT or firewall forgot it, a link
 * that drops everything: node-postgres #3003) that may take the kernel
 * minutes, or never come: a client's end() waits that long, and a pool's
 * end() returns but leaves the socket open, keeping the process alive. A
 * pool's end() also waits for every connection checked out to come back,
 * and one whose statement awaits an answer over a silent connection never
 * does. So a connection has GOODBYE_MS to close; one still open then is
 * destroyed (which fails its statement, and so brings it back).
 */
import type pg from "pg";

export const GOODBYE_MS = 2000;

interface Socket {
  destroyed: boolean;
  destroy(): void;
  once(event: "close", listener: () => void): unknown;
}

/** node-postgres keeps a client's socket as `connection.stream`, and a pool its clients as `_clients` (neither typed). */
type WithSocket = { connection?: { stream?: Socket } };

/** Ends the pool's connections, checked out or not; those not closed within `ms` are destroyed. */
export async function endPool(pool: pg.Pool, ms = GOODBYE_MS): Promise<void> {
  const clients = [...((pool as unknown as { _clients?: WithSocket[] })._clients ?? [])];
  // Not awaited: it ends the idle connections at once, but resolves only when the checked-out ones are back (see above).
  if (!pool.ended && !(pool as unknown as { ending?: boolean }).ending) void pool.end();
  await closedWithin(clients, ms);
}

/** Ends the client's connection, destroyed if not closed within `ms`. */
export async function endClient(client: pg.Client, ms = GOODBYE_MS): Promise<void> {
  // Resolves once the socket has closed, which closedWithin makes sure of.
  void client.end().catch(() => undefined);
  await closedWithin([client as unknown as WithSocket], ms);
}

async function closedWithin(clients: readonly WithSocket[], ms: number): Promise<void> {
  const open = clients.map((client) => client.connection?.stream).filter((socket): socket is Socket => socket !== undefined && !socket.destroyed);
  if (open.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([Promise.all(open.map((socket) => new Promise<void>((resolve) => socket.once("close", resolve)))), late]);
  clearTimeout(timer);
  for (const socket of open) if (!socket.destroyed) socket.destroy();
}
