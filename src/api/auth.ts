/**
 * API tokens: HS256 JWTs signed with the engine's secret. The JWT carries who
 * (sub), what it may do (scope) and its record id (jti); the record in the
 * store is what makes it valid, so revoking it takes effect on the next request
 * (this engine keeps a copy of the records it has read: see TOKEN_ROW_TTL_MS).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SignJWT, jwtVerify } from "jose";
import { SCOPES, ServiceError, type Actor, type Scope, type SessionInfo, type TokenInfo } from "../engine/service.js";
import type { Store, TokenKind, TokenRow } from "../store/port.js";
import { assertPrivateFile } from "./secret.js";
import { writePrivateFile } from "../files/private.js";

export { loadOrCreateSecret } from "./secret.js";

export type TokenStore = Pick<Store, "createToken" | "getToken" | "listTokens" | "revokeToken" | "touchToken" | "appendAudit" | "hookGeneration" | "nextHookGeneration">;

/** The scopes that include the ones before them (worker is not among them: see Scope). */
const HIERARCHY: readonly Scope[] = ["read", "run", "admin"];
/** last_used_at is for people ("is this token still used?"): minute precision spares a write per request. */
const TOUCH_EVERY_MS = 60_000;
const LOCAL_TOKEN_NAME = "local";

/**
 * Whether a token of scope `held` may use a route that needs `needed`. A
 * worker token reaches the worker routes only; those take an admin token
 * too (an admin may do anything), and no other.
 */
export function scopeAllows(held: Scope, needed: Scope): boolean {
  if (held === "admin") return true;
  if (held === "worker" || needed === "worker") return held === needed;
  return HIERARCHY.indexOf(held) >= HIERARCHY.indexOf(needed);
}

export function isScope(value: unknown): value is Scope {
  return typeof value === "string" && (SCOPES as readonly string[]).includes(value);
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function tokenInfo(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    created_at: iso(row.created_at)!,
    expires_at: iso(row.expires_at),
    revoked_at: iso(row.revoked_at),
    last_used_at: iso(row.last_used_at),
  };
}

export interface IssueRequest {
  name: string;
  scope: Scope;
  ttlMs?: number;
  /** Default "token". */
  kind?: TokenKind;
  /** For a session: the token it is made from, whose revocation ends it. */
  parentId?: string;
  /** No later than this (epoch ms), whatever ttlMs says: a session never outlives its token. */
  notAfter?: number;
}

/** A browser session lasts a week at most (less when the token it came from expires sooner); `spire ui` makes a new one. */
export const SESSION_TTL_MS = 7 * 24 * 3600_000;

/** Tokens whose signature is known good, oldest dropped first. */
const VERIFIED_CACHE_SIZE = 1000;
/**
 * How long a token's record read from the store is trusted. This engine is
 * the only writer of the token table and updates its copy before answering a
 * revoke, so here a revocation takes effect at once. The limit is for a store
 * shared by several engines (PostgreSQL, later): a token revoked through
 * another engine is refused here within this time. A "tokens changed"
 * generation read from the store would be exact, but would cost a store round
 * trip per request again; one read per token per second does not show.
 */
const TOKEN_ROW_TTL_MS = 1000;
/** Records kept in memory (each is a few short strings), oldest dropped first. */
const TOKEN_ROW_CACHE_SIZE = 1000;

/** What a token's verified signature vouches for. */
interface Claims {
  sub: string;
  jti: string;
  scope: Scope;
}

/** A token whose signature was checked, kept under its signature (see signatureOf). */
interface VerifiedToken {
  token: string;
  /** `Bearer ` and the token: the Authorization header that sends it (see verifyKnownBearer). */
  header: string;
  claims: Claims;
  exp: number | undefined;
}

/** A token record as read, and the actor it stands for, made once per read: nearly every request gets that same (frozen) object. */
interface KnownRow {
  row: TokenRow | undefined;
  readAt: number;
  actor: Actor | undefined;
}

/**
 * The key a verified token is kept under: its last characters, from its
 * signature (an HMAC). A request's token is a new string each time, so V8
 * hashes the Map key anew: the whole JWT (~230 characters) was ~2 % of a
 * GET's instructions. Two tokens with the same key only take each other's
 * place; the whole token is compared after the lookup.
 */
function signatureOf(token: string): string {
  return token.slice(-16);
}

/** An HS256 signature: 32 bytes, 43 base64url characters at the end of the token. */
const SIGNATURE_CHARS = 43;

/**
 * Whether `given` is the verified token `known` (or its header, `given` a
 * request's Authorization header), in a time that does not
 * depend on how much of the signature matches: `===` stops at the first
 * difference, so its time would tell a client, character after character,
 * how far its guess matched the signature of a token kept here (the last
 * one used, whoever sent it). The signature's characters are all compared;
 * only when they all match is the rest (header and claims, which are not
 * secret) compared too. The length is not secret either.
 */
function sameToken(known: string, given: string): boolean {
  const length = known.length;
  if (given.length !== length) return false;
  let difference = 0;
  for (let index = length - SIGNATURE_CHARS; index < length; index++) difference |= known.charCodeAt(index) ^ given.charCodeAt(index);
  return difference === 0 && known === given;
}

function unexpired(known: VerifiedToken, now: number): Claims | undefined {
  return known.exp === undefined || known.exp * 1000 > now ? known.claims : undefined;
}

function actorOfRow(row: TokenRow): Actor {
  return Object.freeze({ name: row.name, scope: row.scope, tokenId: row.id, ...(row.kind === "session" ? { session: true } : {}) });
}

export class TokenAuthority {
  private readonly verified = new Map<string, VerifiedToken>();
  /** The last token found in `verified`, tried first: clients send one token request after request, and comparing it costs less than the lookup. */
  private lastVerified: VerifiedToken | undefined;
  private readonly rows = new Map<string, KnownRow>();
  /**
   * A store read in progress per token id, which requests meanwhile share (when the record goes stale every request in
   * flight would read it again); a revoke meanwhile makes its result stale, so it is not kept, and later requests read anew.
   */
  private readonly reading = new Map<string, { row?: Promise<TokenRow | undefined> }>();
  private readonly touchedAt = new Map<string, number>();

  constructor(
    private readonly store: TokenStore,
    private readonly secret: Uint8Array,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the token, then signs it; the JWT is returned once and never stored. */
  async issue(request: IssueRequest, by?: Actor): Promise<{ token: string; info: TokenInfo }> {
    // Hex: an id never starts with "-", so it reads as an argument on a command line, not an option.
    const id = randomBytes(12).toString("hex");
    const createdAt = this.now();
    const untilTtl = request.ttlMs === undefined ? null : createdAt + request.ttlMs;
    const expiresAt = request.notAfter === undefined ? untilTtl : Math.min(untilTtl ?? Infinity, request.notAfter);
    const row: TokenRow = {
      id,
      name: request.name,
      scope: request.scope,
      created_at: createdAt,
      expires_at: expiresAt,
      revoked_at: null,
      last_used_at: null,
      kind: request.kind ?? "token",
      parent_id: request.parentId ?? null,
    };
    await this.store.createToken(row);
    this.remember(id, row, createdAt);
    const jwt = new SignJWT({ scope: request.scope })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(request.name)
      .setJti(id)
      .setIssuedAt(Math.floor(createdAt / 1000));
    if (expiresAt !== null) jwt.setExpirationTime(Math.floor(expiresAt / 1000));
    const token = await jwt.sign(this.secret);
    if (by) await this.audit(by, row.kind === "session" ? "session.create" : "token.create", id, { name: request.name, scope: request.scope, expires_at: iso(expiresAt) });
    return { token, info: tokenInfo(row) };
  }

  /**
   * A browser session for whoever holds `from` (a token's or a login link's
   * actor): the same scope, a week at most, never outliving that token.
   */
  async startSession(from: Actor): Promise<{ token: string; info: TokenInfo; csrf: string }> {
    // A worker's token belongs to a program on another machine: a person's web UI is no place for it.
    if (from.scope === "worker") {
      throw new ServiceError("forbidden", `the token ${from.name} has the worker scope, which only lets a worker run tasks: it cannot log in to the web UI`, {
        hint: "log in with a read, run or admin token: spire token create --scope read",
      });
    }
    const parent = from.tokenId === undefined ? undefined : await this.tokenRow(from.tokenId);
    // A session asked for by a session belongs to the same token: revoking that token ends both.
    const parentId = parent?.kind === "session" ? (parent.parent_id ?? undefined) : from.tokenId;
    const suffix = randomBytes(4).toString("hex");
    const issued = await this.issue(
      { name: `session ${suffix} of ${from.name}`, scope: from.scope, ttlMs: SESSION_TTL_MS, kind: "session", ...(parentId ? { parentId } : {}), ...(parent?.expires_at != null ? { notAfter: parent.expires_at } : {}) },
      from,
    );
    return { ...issued, csrf: this.csrfFor(issued.info.id) };
  }

  /** The CSRF token of a session: derived from its id under the engine's secret, so it needs no storage and dies with the session. */
  csrfFor(sessionId: string): string {
    return createHmac("sha256", this.secret).update(`csrf\0${sessionId}`).digest("base64url");
  }

  verifyCsrf(sessionId: string, given: string | undefined): boolean {
    if (given === undefined) return false;
    const expected = Buffer.from(this.csrfFor(sessionId));
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /** The actor a token stands for, or undefined for anything not valid right now (never throws on bad input). */
  async verify(token: string): Promise<Actor | undefined> {
    const known = this.verifyKnown(token);
    if (known) return known.actor;
    const claims = await this.verifySignature(token);
    if (!claims) return undefined;
    return this.actorFor(claims, await this.tokenRow(claims.jti));
  }

  /**
   * verify's answer without waiting, when the token's signature was checked
   * before and its record is fresh in memory (nearly every request);
   * undefined when verify has to look something up.
   */
  verifyKnown(token: string): { actor: Actor | undefined } | undefined {
    const now = this.now();
    return this.knownActor(this.knownClaims(token, now), now);
  }

  /**
   * verifyKnown for an Authorization header, undefined also when it is not
   * "Bearer " and a token. The header of the last token used is compared
   * whole first: a client sends one token request after request, and the
   * token cut out of its header (a sliced string) was slower to compare.
   */
  verifyKnownBearer(header: string): { actor: Actor | undefined } | undefined {
    const last = this.lastVerified;
    if (last !== undefined && sameToken(last.header, header)) {
      const now = this.now();
      return this.knownActor(unexpired(last, now), now);
    }
    return header.startsWith("Bearer ") ? this.verifyKnown(header.slice(7)) : undefined;
  }

  private knownActor(claims: Claims | undefined, now: number): { actor: Actor | undefined } | undefined {
    const known = claims && this.rows.get(claims.jti);
    if (!known || now - known.readAt >= TOKEN_ROW_TTL_MS) return undefined;
    return { actor: this.actorFor(claims, known.row, now, known.actor) };
  }

  /** `made`: the record's actor if it was made already. */
  private actorFor(claims: Claims, row: TokenRow | undefined, now = this.now(), made?: Actor): Actor | undefined {
    if (!row || row.revoked_at !== null || row.name !== claims.sub || row.scope !== claims.scope) return undefined;
    if (row.expires_at !== null && row.expires_at <= now) return undefined;
    this.touch(row.id, now);
    return made ?? actorOfRow(row);
  }

  /**
   * A pipeline's own webhook token: an HMAC of its name and its generation
   * under the engine's secret, so it only works for that pipeline and
   * needs no storage but the generation. It changes when the secret does,
   * and when the pipeline's own is changed (rotateHook).
   */
  async hookToken(namespace: string, pipeline: string): Promise<string> {
    return this.hookTokenOf(namespace, pipeline, await this.store.hookGeneration(namespace, pipeline));
  }

  async verifyHookToken(namespace: string, pipeline: string, given: string): Promise<boolean> {
    const expected = Buffer.from(await this.hookToken(namespace, pipeline));
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /** A new hook token for the pipeline: the one before no longer works. */
  async rotateHook(namespace: string, pipeline: string, by: Actor): Promise<void> {
    const generation = await this.store.nextHookGeneration(namespace, pipeline);
    await this.audit(by, "hook.rotate", `${namespace}/${pipeline}`, { generation });
  }

  private hookTokenOf(namespace: string, pipeline: string, generation: number): string {
    // Generation 0 signs what tokens were before they could be changed: the URLs given out then still work.
    const signed = generation === 0 ? `hook\0${namespace}\0${pipeline}` : `hook\0${namespace}\0${pipeline}\0${generation}`;
    return createHmac("sha256", this.secret).update(signed).digest("base64url");
  }

  /** API tokens, revoked and expired ones included (sessions are listed by sessions()). */
  async list(): Promise<TokenInfo[]> {
    return (await this.store.listTokens()).filter((row) => row.kind === "token").map(tokenInfo);
  }

  /** Browser sessions that still work, newest first. */
  async sessions(): Promise<SessionInfo[]> {
    const rows = await this.store.listTokens();
    const names = new Map(rows.map((row) => [row.id, row.name]));
    const now = this.now();
    return rows
      .filter((row) => row.kind === "session" && row.revoked_at === null && (row.expires_at === null || row.expires_at > now))
      .map((row) => ({ ...tokenInfo(row), from: row.parent_id ? (names.get(row.parent_id) ?? null) : null }));
  }

  /** The kind of a token record, or undefined when there is none. */
  async kindOf(id: string): Promise<TokenKind | undefined> {
    const row = await this.tokenRow(id);
    return row?.kind;
  }

  /** False when the id is unknown or already revoked. */
  async revoke(id: string, by?: Actor): Promise<boolean> {
    const revoked = await this.revokeRow(id);
    if (revoked && by) await this.audit(by, "token.revoke", id, {});
    return revoked;
  }

  /**
   * The admin token of the local CLI, in `<dataDir>/token` (0600): reused
   * while it still verifies, otherwise the old "local" token is revoked and a
   * new one written.
   */
  /**
   * `name`: the local token's own name. Engines sharing one store each keep
   * one, so each needs its own name: making its token revokes the last one
   * of that name.
   */
  async ensureLocalToken(dataDir: string, name = LOCAL_TOKEN_NAME): Promise<string> {
    const file = join(dataDir, "token");
    const existing = await readTokenFile(file);
    if (existing) {
      const actor = await this.verify(existing);
      if (actor?.name === name && actor.scope === "admin") return existing;
    }
    for (const row of await this.store.listTokens()) {
      if (row.name === name && row.revoked_at === null) await this.revokeRow(row.id);
    }
    const { token } = await this.issue({ name, scope: "admin" });
    await writePrivateFile(file, `${token}\n`);
    return token;
  }

  /**
   * The claims of a token whose signature was checked before, until it
   * expires: the signature cannot change, and jose's verify was most of a
   * request's cost. Revocation is in the record, not here (see tokenRow).
   */
  private knownClaims(token: string, now = this.now()): Claims | undefined {
    let known = this.lastVerified;
    if (known === undefined || !sameToken(known.token, token)) {
      known = this.verified.get(signatureOf(token));
      if (known === undefined || !sameToken(known.token, token)) return undefined;
      this.lastVerified = known;
    }
    return unexpired(known, now);
  }

  private async verifySignature(token: string): Promise<Claims | undefined> {
    const known = this.knownClaims(token);
    if (known) return known;
    try {
      // Only HS256: `alg: none` and every other algorithm are refused by the allow-list.
      const { payload } = await jwtVerify(token, this.secret, { algorithms: ["HS256"], currentDate: new Date(this.now()) });
      const { sub, jti, scope } = payload;
      if (typeof sub !== "string" || typeof jti !== "string" || !isScope(scope)) return undefined;
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(signatureOf(token), { token, header: `Bearer ${token}`, claims: { sub, jti, scope }, exp: payload.exp });
      return { sub, jti, scope };
    } catch {
      return undefined;
    }
  }

  /** The token's record: this engine's copy while fresh, else read from the store. */
  private async tokenRow(id: string): Promise<TokenRow | undefined> {
    const known = this.rows.get(id);
    const now = this.now();
    if (known && now - known.readAt < TOKEN_ROW_TTL_MS) return known.row;
    const inFlight = this.reading.get(id);
    if (inFlight) return inFlight.row;
    const ticket: { row?: Promise<TokenRow | undefined> } = {};
    this.reading.set(id, ticket);
    ticket.row = (async () => {
      try {
        const row = await this.store.getToken(id);
        if (this.reading.get(id) === ticket) this.remember(id, row, now);
        return row;
      } finally {
        if (this.reading.get(id) === ticket) this.reading.delete(id);
      }
    })();
    return ticket.row;
  }

  private remember(id: string, row: TokenRow | undefined, readAt: number): void {
    this.rows.delete(id);
    if (this.rows.size >= TOKEN_ROW_CACHE_SIZE) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(id, { row, readAt, actor: row && actorOfRow(row) });
  }

  /** Revoked in the store and, before anyone is told, in this engine's copy. */
  private async revokeRow(id: string): Promise<boolean> {
    // Dropped before the write: a read that started earlier must not bring the old record back.
    this.rows.delete(id);
    this.reading.delete(id);
    this.touchedAt.delete(id);
    const revoked = await this.store.revokeToken(id, this.now());
    // Sessions made from this token were revoked with it: no copy of theirs may outlive that.
    this.rows.clear();
    this.reading.clear();
    return revoked;
  }

  private touch(id: string, now: number): void {
    const last = this.touchedAt.get(id);
    if (last !== undefined && now - last < TOUCH_EVERY_MS) return;
    this.touchedAt.set(id, now);
    // Not awaited: a lost "last used" time is not worth delaying a request for.
    this.store.touchToken(id, now).catch(() => this.touchedAt.delete(id));
  }

  private async audit(by: Actor, action: string, target: string, details: Record<string, unknown>): Promise<void> {
    await this.store.appendAudit({ ts: this.now(), actor: by.name, action, target, details });
  }
}

/**
 * The token in a private file, or undefined when it is missing or empty, or
 * when others could read it: such a token counts as leaked and is replaced.
 */
async function readTokenFile(file: string): Promise<string | undefined> {
  try {
    await assertPrivateFile(file);
  } catch {
    return undefined;
  }
  try {
    const text = (await readFile(file, "utf8")).trim();
    return text === "" ? undefined : text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
