import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Hub } from '../hub.js';
import type { Database } from '../db/index.js';

const hash = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

/**
 * How long a process trusts a token it checked against the database. A token revoked through
 * this process stops working at once; another process sharing the database (PostgreSQL
 * deployments) may accept it for at most this long after the revocation.
 */
export const TOKEN_CACHE_MS = 5_000;
/** A token the database does not know is not looked up again for this long (no query per retry). */
export const BAD_TOKEN_CACHE_MS = 5_000;
/** Unknown tokens one client address may try per window before it gets 429 (a token seen wrong just before is not counted again). */
export const FAILURE_LIMIT = 30;
export const FAILURE_WINDOW_MS = 60_000;
/** A token that worked within this long is still checked while its client address is over the failure limit. */
const KNOWN_GOOD_MS = 15 * 60_000;
/** last_used_at is written at most this often per token. */
const LAST_USED_PRECISION_MS = 60_000;
/** An event-stream ticket opens a stream for this long after it is issued. */
export const TICKET_TTL_MS = 60_000;
/** Bounds the in-memory maps whatever the traffic. */
const MAX_ENTRIES = 10_000;

/** Whether any API token is stored. */
export async function tokensStored(db: Database): Promise<boolean> {
  const [{ n }] = await db.rows<{ n: number }>(sql`select count(*)::int as n from api_tokens`);
  return n > 0;
}

export interface TokenView { id: string; name: string; createdAt: string; lastUsedAt: string | null }

export type Verdict =
  | { ok: true; tokenId: string | null; open: boolean }
  | { ok: false; status: 401 | 429; retryAfter?: number };

/**
 * Who may call the API: the admin token (CHANNELSYNC_TOKEN), the tokens stored in the database
 * (only their hashes), and nobody else once either exists. While none exists the API is open,
 * but only on a hub that listens on loopback (`openWhenNoToken`): a fresh laptop install.
 */
export class Auth {
  /** Tokens found in the database: trusted until `until`, and known good (checked even while their address is limited) until `seen`. */
  private readonly valid = new Map<string, { id: string; until: number; seen: number }>();
  private readonly invalid = new Map<string, number>();
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly lastUsed = new Map<string, number>();
  private stored = false;
  private readonly ticketKey: Buffer;

  constructor(private readonly hub: Hub, private readonly adminToken: string | undefined, private readonly openWhenNoToken: boolean) {
    this.ticketKey = crypto.createHmac('sha256', hub.secrets.derive('event-tickets')).update(adminToken ? hash(adminToken) : '').digest();
  }

  /** The API needs no token: none exists and the hub listens on loopback only. */
  async isOpen(): Promise<boolean> {
    if (this.adminToken || !this.openWhenNoToken) return false;
    // Once a token is seen the hub stays closed: the last token cannot be revoked (see revoke).
    if (this.stored) return false;
    this.stored = await tokensStored(this.hub.db);
    return !this.stored;
  }

  async check(presented: string | null, client: string): Promise<Verdict> {
    if (presented && this.adminToken && sameSecret(presented, this.adminToken)) return { ok: true, tokenId: 'admin', open: false };
    // An open hub takes any call, with whatever token a client still sends (a panel's old one, say).
    if (await this.isOpen()) return { ok: true, tokenId: null, open: true };
    const now = Date.now();
    const h = presented ? hash(presented) : null;
    const known = h ? this.valid.get(h) : undefined;
    if (known && known.until > now) return { ok: true, tokenId: known.id, open: false };
    // No token at all is no guess: refused without counting (and without a query).
    if (!h) return { ok: false, status: 401 };
    // A token that worked lately is checked again even from an address that is over its limit
    // (behind a proxy every client shares one): guesses there cannot lock its owner out.
    const limited = this.limited(client, now);
    if (limited && !(known && known.seen > now)) return limited;
    // The same wrong token again is no new guess, and costs no query: refused without counting.
    if ((this.invalid.get(h) ?? 0) > now) return { ok: false, status: 401 };
    // A read, never a write, for a token that is not known: bad tokens cost no database write.
    const [row] = await this.hub.db.rows<{ id: string }>(sql`select id from api_tokens where hash = ${h}`);
    if (!row) {
      this.valid.delete(h);
      bounded(this.invalid).set(h, now + BAD_TOKEN_CACHE_MS);
      return this.fail(client, now);
    }
    bounded(this.valid).set(h, { id: row.id, until: now + TOKEN_CACHE_MS, seen: now + KNOWN_GOOD_MS });
    this.stored = true;
    if ((this.lastUsed.get(row.id) ?? 0) < now - LAST_USED_PRECISION_MS) {
      bounded(this.lastUsed).set(row.id, now);
      await this.hub.db.rows(sql`update api_tokens set last_used_at = now() where id = ${row.id}`);
    }
    return { ok: true, tokenId: row.id, open: false };
  }

  private limited(client: string, now: number): Verdict | null {
    const f = this.failures.get(client);
    if (!f || f.since + FAILURE_WINDOW_MS <= now || f.count < FAILURE_LIMIT) return null;
    return { ok: false, status: 429, retryAfter: Math.ceil((f.since + FAILURE_WINDOW_MS - now) / 1000) };
  }

  private fail(client: string, now: number): Verdict {
    const f = this.failures.get(client);
    if (!f || f.since + FAILURE_WINDOW_MS <= now) bounded(this.failures).set(client, { count: 1, since: now });
    else f.count++;
    return { ok: false, status: 401 };
  }

  async create(name: string): Promise<{ id: string; token: string }> {
    const token = `cs_${crypto.randomBytes(24).toString('base64url')}`;
    const [row] = await this.hub.db.rows<{ id: string }>(sql`insert into api_tokens (name, hash) values (${name}, ${hash(token)}) returning id`);
    this.stored = true;
    return { id: row.id, token };
  }

  async list(): Promise<TokenView[]> {
    return this.hub.db.rows<TokenView>(sql`
      select id, name, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt",
        to_char(last_used_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "lastUsedAt"
      from api_tokens order by created_at, id`);
  }

  /**
   * Deletes a token; this process forgets it at once. The last token cannot be revoked while no
   * CHANNELSYNC_TOKEN is set: that would open the API again. Returns what happened.
   */
  async revoke(id: string): Promise<'revoked' | 'missing' | 'last'> {
    const rows = await this.hub.db.rows<{ id: string }>(sql`
      delete from api_tokens where id = ${id}
        ${this.adminToken ? sql`` : sql`and exists (select 1 from api_tokens o where o.id <> ${id})`}
      returning id`);
    if (rows.length === 0) {
      const [still] = await this.hub.db.rows(sql`select 1 from api_tokens where id = ${id}`);
      return still ? 'last' : 'missing';
    }
    for (const [h, v] of this.valid) if (v.id === id) this.valid.delete(h);
    return 'revoked';
  }

  /** A ticket that opens an event stream (EventSource cannot send headers) for TICKET_TTL_MS. */
  ticket(tokenId: string | null): { ticket: string; expiresAt: string } {
    const exp = Date.now() + TICKET_TTL_MS;
    const body = `events.${exp}.${tokenId ?? 'open'}`;
    return { ticket: `${Buffer.from(body).toString('base64url')}.${this.sign(body)}`, expiresAt: new Date(exp).toISOString() };
  }

  /** Whether the ticket is genuine, unexpired, for event streams, and its token is not revoked. */
  async checkTicket(ticket: string): Promise<boolean> {
    const [b64, mac] = ticket.split('.');
    if (!b64 || !mac) return false;
    const body = Buffer.from(b64, 'base64url').toString();
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) return false;
    const [purpose, exp, tokenId] = body.split('.');
    if (purpose !== 'events' || !(Number(exp) > Date.now())) return false;
    if (tokenId === 'admin') return !!this.adminToken;
    if (tokenId === 'open') return this.isOpen();
    for (const v of this.valid.values()) if (v.id === tokenId && v.until > Date.now()) return true;
    const [row] = await this.hub.db.rows(sql`select 1 from api_tokens where id::text = ${tokenId}`);
    return !!row;
  }

  private sign(body: string): string {
    return crypto.createHmac('sha256', this.ticketKey).update(body).digest('base64url');
  }
}

function bounded<M extends Map<string, unknown>>(map: M): M {
  if (map.size >= MAX_ENTRIES) {
    const drop = map.keys().next().value;
    if (drop !== undefined) map.delete(drop);
  }
  return map;
}

function sameSecret(a: string, b: string): boolean {
  return crypto.timingSafeEqual(Buffer.from(hash(a)), Buffer.from(hash(b)));
}
