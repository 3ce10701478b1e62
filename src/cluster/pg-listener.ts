/**
 * LISTEN on one dedicated connection, as a hint only: every user of it also
 * polls, so a notification lost (a pooler in between, a connection that
 * dropped without a word) costs latency, never correctness.
 *
 * A LISTEN lives and dies with its connection, so this one is watched: a
 * `SELECT 1` every few seconds (with a deadline) finds a connection that
 * died silently, and after any loss it reconnects with backoff, listens to
 * every channel again, and tells each subscriber it may have missed
 * something (`reconnected`), so it looks at once instead of at its next poll.
 * Connecting and listening have the same deadline: a connection opened
 * while the network drops everything would otherwise wait for its answer
 * for good, and with it every later try.
 */
import pg from "pg";
import { endClient } from "../store/postgres/goodbye.js";

export interface ListenerOptions {
  /** Connection settings (a URL, the schema's search_path does not matter for LISTEN). */
  connectionString: string;
  /** What pg_stat_activity shows for it. */
  applicationName?: string;
  /** How often the connection is checked (default 10 s). */
  checkEveryMs?: number;
  /** How long connecting, a LISTEN or a check may go unanswered (default 5 s). */
  answerDeadlineMs?: number;
  onProblem?(message: string): void;
}

/** How long a connection, a LISTEN or a check may go unanswered before the connection is taken for lost. */
const ANSWER_DEADLINE_MS = 5000;

type Subscriber = { channel: string; heard(payload: string): void; reconnected?(): void };

export class Listener {
  private client: pg.Client | undefined;
  private readonly subscribers = new Set<Subscriber>();
  private stopped = false;
  private retryMs = 100;
  private retry: NodeJS.Timeout | undefined;
  private check: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  /** A connection after the first is a reconnection: what was said meanwhile was not heard. */
  private everConnected = false;
  private checking = false;

  constructor(private readonly options: ListenerOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  /** Subscribes to `channel`; returns how to unsubscribe. */
  on(channel: string, heard: (payload: string) => void, reconnected?: () => void): () => void {
    const subscriber: Subscriber = { channel, heard, ...(reconnected ? { reconnected } : {}) };
    const first = ![...this.subscribers].some((other) => other.channel === channel);
    this.subscribers.add(subscriber);
    if (first) void this.client?.query(`LISTEN ${pg.escapeIdentifier(channel)}`).catch(() => this.lost("LISTEN failed"));
    return () => this.subscribers.delete(subscriber);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.check);
    const client = this.client;
    this.client = undefined;
    if (client) await endClient(client);
  }

  private connect(): Promise<void> {
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: this.options.applicationName ?? "spire-listener",
      connectionTimeoutMillis: this.options.answerDeadlineMs ?? ANSWER_DEADLINE_MS,
      query_timeout: this.options.answerDeadlineMs ?? ANSWER_DEADLINE_MS,
    });
    client.on("error", (error) => this.lost(error.message, client));
    client.on("end", () => this.lost("the connection ended", client));
    client.on("notification", (message) => {
      for (const subscriber of this.subscribers) if (subscriber.channel === message.channel) subscriber.heard(message.payload ?? "");
    });
    try {
      await client.connect();
      for (const channel of new Set([...this.subscribers].map((subscriber) => subscriber.channel))) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      await endClient(client);
      this.lost((error as Error).message);
      return;
    }
    if (this.stopped) return void (await endClient(client));
    const reconnect = this.everConnected;
    this.everConnected = true;
    this.client = client;
    this.retryMs = 100;
    clearInterval(this.check);
    this.check = setInterval(() => this.checkAlive(client), this.options.checkEveryMs ?? 10_000);
    this.check.unref();
    if (reconnect) for (const subscriber of this.subscribers) subscriber.reconnected?.();
  }

  private checkAlive(client: pg.Client): void {
    // One check at a time: a connection slow to answer is not asked again until the first check's deadline.
    if (this.checking) return;
    this.checking = true;
    client
      .query("SELECT 1")
      .catch((error: Error) => this.lost(/timeout/i.test(error.message) ? "no answer to a check" : error.message, client))
      .finally(() => (this.checking = false));
  }

  private lost(why: string, client?: pg.Client): void {
    if (client && client !== this.client) return;
    if (client) {
      this.client = undefined;
      clearInterval(this.check);
      void endClient(client);
    }
    if (this.stopped) return;
    this.options.onProblem?.(`listening for changes: ${why}; connecting again`);
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 5000);
  }
}
