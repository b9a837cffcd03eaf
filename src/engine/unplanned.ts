import { sql, type SQL } from 'drizzle-orm';
import { uuidArray, type Database } from '../db/index.js';

/**
 * Creates a connection that absorbs products owes, before its send stores them.
 *
 * A product the hub holds and an absorbing connection does not (no listing there, not even
 * one found gone) is a pending create on that connection. A fetch does not store those: a
 * first fetch of a big catalog would write a second listing row and a pending change per
 * product for every absorbing connection (a third of that fetch's time). The send stores
 * them a page at a time just before it writes them (`absorbMissing` in send.ts), and where
 * the hub shows or counts pending creates, the unstored ones are counted here with the rest.
 *
 * Everything here reads the narrow fact tables (record_facts, listing_facts) that triggers
 * keep beside records and equivalences, never the product data.
 */

/** Whether a connection's stored settings say it absorbs products. */
export function absorbsProducts(settings: unknown): boolean {
  return (settings as { absorb?: { products?: unknown } } | null)?.absorb?.products === true;
}

/** The connections that absorb products, as a subquery of ids. */
const ABSORBING = sql`select c.id from connections c where c.settings->'absorb'->>'products' = 'true'`;

/**
 * SQL: how many products the connection `connectionId` (an expression) does not hold: every product less
 * the products it has a listing of (two counts, not an anti-join of every product).
 */
export const unheldCount = (connectionId: SQL) => sql`((select count(*) from record_facts f where f.entity = 'product')
  - (select count(distinct l.record_id) from listing_facts l where l.connection_id = ${connectionId} and l.entity = 'product'))`;

/** How many products each connection that absorbs products is owed without a stored plan. */
export async function unplannedCounts(db: Database, connectionId?: string): Promise<Map<string, number>> {
  const rows = await db.rows<{ id: string; n: number }>(sql`
    select a.id, ${unheldCount(sql`a.id`)} as n
    from (${ABSORBING}) a ${connectionId ? sql`where a.id = ${connectionId}::uuid` : sql``}`);
  return new Map(rows.filter((r) => r.n > 0).map((r) => [r.id, r.n]));
}

/**
 * Whether this connection is owed any create it has no stored plan for: a product it has
 * no listing of at all. Asked of the facts every time a send starts (nothing remembered
 * can go stale); one anti-join that stops at the first such product (bench/owed.bench.ts).
 */
export async function anyUnplanned(db: Database, connectionId: string): Promise<boolean> {
  const [{ owed }] = await db.rows<{ owed: boolean }>(sql`select exists (select 1 from record_facts f where f.entity = 'product'
    and not exists (select 1 from listing_facts l where l.connection_id = ${connectionId}::uuid and l.record_id = f.id)) as owed`);
  return owed;
}

/** The same for one connection: 0 when it does not absorb products. */
export async function unplannedCount(db: Database, connectionId: string): Promise<number> {
  return (await unplannedCounts(db, connectionId)).get(connectionId) ?? 0;
}

/** For each of these records: the absorbing connections it is waiting to be created on, with no stored plan. */
export async function unplannedOf(db: Database, recordIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (recordIds.length === 0) return out;
  const rows = await db.rows<{ record_id: string; connection_id: string }>(sql`
    select f.id as record_id, a.id as connection_id
    from record_facts f cross join (${ABSORBING}) a
    where f.id = any(${uuidArray(recordIds)}) and f.entity = 'product'
      and not exists (select 1 from listing_facts l where l.connection_id = a.id and l.record_id = f.id offset 0)
    order by a.id`);
  for (const r of rows) out.set(r.record_id, [...(out.get(r.record_id) ?? []), r.connection_id]);
  return out;
}

/**
 * A condition on `record_facts r`: a product waiting to be created on this connection, which
 * absorbs products, its create stored or not: it has no listing there that exists or was found
 * gone. One hash of the connection's listings per query (`not in` over a column that is never
 * null), as the sets' other listing conditions are, rather than a lookup per record.
 */
export function owedOn(absorbingId: string): SQL {
  return sql`(r.entity = 'product' and r.id not in (select l.record_id from listing_facts l
    where l.connection_id = ${absorbingId}::uuid and (l.listed or l.gone)))`;
}
