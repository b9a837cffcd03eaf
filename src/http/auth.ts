import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Hub } from '../hub.js';

const hash = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

// Whether a hub has any token, remembered once true: tokens are never deleted by the API.
const tokensExist = new WeakSet<Hub>();
async function anyTokens(hub: Hub): Promise<boolean> {
  if (tokensExist.has(hub)) return true;
  const [{ n }] = await hub.db.rows<{ n: number }>(sql`select count(*)::int as n from api_tokens`);
  if (n > 0) tokensExist.add(hub);
  return n > 0;
}

/** Creates an API token; only its hash is stored, the token is shown once. */
export async function createToken(hub: Hub, name: string): Promise<string> {
  const token = `cs_${crypto.randomBytes(24).toString('base64url')}`;
  await hub.db.rows(sql`insert into api_tokens (name, hash) values (${name}, ${hash(token)})`);
  return token;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(hash(a));
  const y = Buffer.from(hash(b));
  return crypto.timingSafeEqual(x, y);
}

/**
 * The API is open only while no token exists at all (a fresh laptop install);
 * once CHANNELSYNC_TOKEN is set or a token was created, every call needs one.
 */
export async function checkToken(hub: Hub, adminToken: string | undefined, presented: string | null): Promise<boolean> {
  if (adminToken && presented && sameSecret(adminToken, presented)) return true;
  if (!adminToken && !(await anyTokens(hub))) return true;
  if (!presented) return false;
  const h = hash(presented);
  const known = recent.get(hub) ?? new Map<string, number>();
  recent.set(hub, known);
  if ((known.get(h) ?? 0) > Date.now()) return true;
  // Checked against the database at most once a minute per token: last_used_at is that precise.
  const rows = await hub.db.rows(sql`update api_tokens set last_used_at = now() where hash = ${h} returning id`);
  if (rows.length > 0) known.set(h, Date.now() + 60_000);
  return rows.length > 0;
}
const recent = new WeakMap<Hub, Map<string, number>>();
