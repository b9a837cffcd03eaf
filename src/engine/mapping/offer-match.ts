import { sql } from 'drizzle-orm';
import { textArray, uuidArray, type Database, type Orm } from '../../db/index.js';
import type { Product } from '../../model/product.js';
import type { ConnectionSettings } from '../../model/settings.js';
import type { Connector } from '../../connectors/types.js';
import type { JobContext } from '../../jobs/context.js';
import type { LoadedConnection } from '../connections.js';
import { fingerprint } from '../diff.js';
import { raiseIssues, type NewIssue } from '../issues.js';
import { replanProducts } from '../plan.js';

const PAGE = 250;

export type MatchBy = 'sku' | 'barcode' | 'sku_or_barcode';

/** How listings of this connection are recognised as hub records (settings.matching.by, SKU by default). */
export function matchBy(settings: ConnectionSettings): MatchBy {
  return settings.matching?.by ?? 'sku';
}

/** The barcodes of a product's variations, without empties and repeats. */
export function barcodesOf(p: Product): string[] {
  return [...new Set(p.variations.map((v) => v.barcode).filter((b) => b !== ''))];
}

/**
 * Product records having a variation with one of these barcodes (the GIN index
 * records_barcodes), first created first.
 *
 * @example
 * await recordsByBarcode(db, ['7501234567890'], tx) // [{ id, data, barcodes: ['7501234567890'] }]
 */
export async function recordsByBarcode(db: Database, barcodes: string[], tx?: Orm): Promise<{ id: string; sku: string; data: Product }[]> {
  if (barcodes.length === 0) return [];
  return db.rows<{ id: string; sku: string; data: Product }>(sql`
    select id, sku, data from records
    where entity = 'product' and jsonb_path_query_array(data, '$.variations[*].barcode') ?| ${textArray(barcodes)}
    order by created_at, id`, tx);
}

/** The notice an offer match leaves on the record it bound. */
export function offerMatchNotice(conn: LoadedConnection, eq: { id: string; record_id: string }, externalId: string, how: string): NewIssue {
  return {
    connectionId: conn.id, recordId: eq.record_id, equivalenceId: eq.id, entity: 'product', severity: 'notice',
    code: 'offer_match', origin: 'engine', key: 'offer_match',
    message: `${conn.name} already had this product (listing ${externalId}, same ${how}): it was bound instead of created`,
  };
}

interface Waiting { id: string; record_id: string; sku: string; data: Product }

/**
 * Whether a full scan of this connection's products ever completed (read fresh: a fetch may
 * run alongside). A cursor is saved only by a scan that went through the whole listing once.
 */
async function listingKnown(db: Database, connectionId: string): Promise<boolean> {
  const [row] = await db.rows<{ known: boolean }>(sql`
    select (clocks->'products'->>'fullScanAt') is not null or (clocks->'products'->>'cursor') is not null as known
    from connections where id = ${connectionId}`);
  return row?.known ?? false;
}

/**
 * Offer match before the creates of a send: reads this platform's listing page by page
 * and binds every listing that has the SKU or a barcode of a product waiting to be
 * created here, so the platform's existing offer is updated rather than duplicated.
 * Each bind leaves a notice. Done when settings.matching.lookupBeforeCreate asks for it,
 * and always while this connection's own listing is not fully known (no complete full
 * scan yet): a Sync runs the first fetch beside the send, and a create written before
 * that fetch reached the same product would list it twice.
 */
export async function matchBeforeCreate(ctx: JobContext, conn: LoadedConnection, all: LoadedConnection[], connector: Connector): Promise<number> {
  const { db } = ctx.hub;
  if (!conn.settings.matching?.lookupBeforeCreate && await listingKnown(db, conn.id)) return 0;
  const [{ n }] = await db.rows<{ n: number }>(sql`select count(*)::int as n from equivalences
    where connection_id = ${conn.id} and entity = 'product' and external_id is null and create_attempted_at is null and status <> 'gone'`);
  if (n === 0) return 0;
  const by = matchBy(conn.settings);
  ctx.progress('send', 'scan', 0, null);
  let page: { externalId: string; record: Product }[] = [];
  let bound = 0;
  let seen = 0;
  const flush = async () => {
    if (page.length === 0) return;
    const batch = page;
    page = [];
    bound += await bindPage(ctx, conn, all, batch, by);
    ctx.progress('send', 'scan', seen, null);
  };
  for await (const ev of connector.read('products', null)) {
    if (ev.type !== 'record') continue;
    seen++;
    page.push({ externalId: ev.externalId, record: ev.record });
    if (page.length >= PAGE) {
      await ctx.checkpoint();
      await flush();
    }
  }
  await flush();
  return bound;
}

async function bindPage(ctx: JobContext, conn: LoadedConnection, all: LoadedConnection[], page: { externalId: string; record: Product }[], by: MatchBy): Promise<number> {
  const { db } = ctx.hub;
  return db.tx(async (tx) => {
    const held = new Set((await db.rows<{ external_id: string }>(sql`
      select external_id from equivalences where connection_id = ${conn.id} and entity = 'product'
        and external_id = any(${textArray(page.map((p) => p.externalId))})`, tx)).map((r) => r.external_id));
    const listings = page.filter((p) => !held.has(p.externalId));
    if (listings.length === 0) return 0;
    const skus = by === 'barcode' ? [] : [...new Set(listings.map((l) => l.record.sku).filter(Boolean))];
    const barcodes = by === 'sku' ? [] : [...new Set(listings.flatMap((l) => barcodesOf(l.record)))];
    const waiting = await db.rows<Waiting>(sql`
      select e.id, e.record_id, r.sku, r.data from equivalences e join records r on r.id = e.record_id
      where e.connection_id = ${conn.id} and e.entity = 'product' and e.external_id is null
        and e.create_attempted_at is null and e.status <> 'gone'
        and (r.sku = any(${textArray(skus)})
          or jsonb_path_query_array(r.data, '$.variations[*].barcode') ?| ${textArray(barcodes)})
      order by r.created_at, r.id`, tx);
    if (waiting.length === 0) return 0;
    const bySku = new Map<string, Waiting>();
    const byBarcode = new Map<string, Waiting>();
    for (const w of waiting) {
      if (w.sku && !bySku.has(w.sku)) bySku.set(w.sku, w);
      for (const b of barcodesOf(w.data)) if (!byBarcode.has(b)) byBarcode.set(b, w);
    }
    const taken = new Set<string>();
    const found: { id: string; record_id: string; data: Product; external_id: string; ack: Product; fingerprint: string; how: string }[] = [];
    for (const l of listings) {
      let w = by !== 'barcode' && l.record.sku ? bySku.get(l.record.sku) : undefined;
      let how = 'SKU';
      if ((!w || taken.has(w.id)) && by !== 'sku') {
        const b = barcodesOf(l.record).find((x) => byBarcode.has(x) && !taken.has(byBarcode.get(x)!.id));
        w = b ? byBarcode.get(b) : undefined;
        how = `barcode ${b}`;
      }
      if (!w || taken.has(w.id)) continue;
      taken.add(w.id);
      found.push({ id: w.id, record_id: w.record_id, data: w.data, external_id: l.externalId, ack: l.record, fingerprint: fingerprint(l.record), how });
    }
    if (found.length === 0) return 0;
    const updated = await db.rows<{ id: string }>(sql`update equivalences e set external_id = x.external_id, ack = x.ack, fingerprint = x.fingerprint,
        status = 'live', last_seen_at = now(), updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(found)}::jsonb) as x(id uuid, external_id text, ack jsonb, fingerprint text)
      where e.id = x.id and e.external_id is null
        -- This connection's fetch, running alongside, may have bound the listing or the record meanwhile.
        and not exists (select 1 from equivalences o where o.connection_id = e.connection_id and o.entity = 'product'
          and (o.external_id = x.external_id or (o.record_id = e.record_id and o.external_id is not null)))
      returning e.id`, tx);
    const ids = new Set(updated.map((u) => u.id));
    const bound = found.filter((f) => ids.has(f.id));
    if (bound.length === 0) return 0;
    await db.rows(sql`delete from pending_changes where equivalence_id = any(${uuidArray(bound.map((f) => f.id))})`, tx);
    // What the hub still has to change on the bound listings becomes a pending update.
    await replanProducts(db, tx, new Map(bound.map((f) => [f.record_id, f.data])), all);
    await raiseIssues(db, bound.map((f) => offerMatchNotice(conn, f, f.external_id, f.how)), tx);
    return bound.length;
  });
}
