import { sql } from 'drizzle-orm';
import { uuidArray, type Database, type Orm } from '../../db/index.js';

/** Reserved quantity per variation key (SKU, or `#index`) of one product record. */
export type Reserved = ReadonlyMap<string, number>;

export interface NewReservation {
  order_record_id: string;
  product_record_id: string;
  variation: string;
  quantity: number;
  source_connection_id: string;
}

/**
 * The open reservations of these product records, summed per variation key.
 *
 * @example
 * (await openReservations(db, [productId])).get(productId)?.get('TS-001-M-BLK') // 2
 */
export async function openReservations(db: Database, productIds: string[], tx?: Orm): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  if (productIds.length === 0) return out;
  const rows = await db.rows<{ product_record_id: string; variation: string; quantity: number }>(sql`
    select product_record_id, variation, sum(quantity)::int as quantity from reservations
    where released_at is null and product_record_id = any(${uuidArray(productIds)})
    group by product_record_id, variation`, tx);
  for (const r of rows) {
    const m = out.get(r.product_record_id) ?? new Map<string, number>();
    m.set(r.variation, r.quantity);
    out.set(r.product_record_id, m);
  }
  return out;
}

/** Opens reservations; one per (order, product, variation) ever, so a re-read order never reserves twice. */
export async function reserve(db: Database, tx: Orm, rows: NewReservation[]): Promise<{ products: string[]; units: number }> {
  if (rows.length === 0) return { products: [], units: 0 };
  const created = await db.rows<{ product_record_id: string; quantity: number }>(sql`
    insert into reservations (order_record_id, product_record_id, variation, quantity, source_connection_id)
    select order_record_id, product_record_id, variation, quantity, source_connection_id
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as x(order_record_id uuid, product_record_id uuid, variation text, quantity int, source_connection_id uuid)
    on conflict do nothing
    returning product_record_id, quantity`, tx);
  return { products: [...new Set(created.map((r) => r.product_record_id))], units: created.reduce((n, r) => n + r.quantity, 0) };
}

/** The orders now exist on this (fulfilling) connection: its next product scan will include their sales. */
export async function land(db: Database, tx: Orm, orderIds: string[], connectionId: string): Promise<void> {
  if (orderIds.length === 0) return;
  await db.rows(sql`update reservations set landed_at = now(), landed_connection_id = ${connectionId}
    where order_record_id = any(${uuidArray(orderIds)}) and landed_at is null and released_at is null`, tx);
}

/** Releases every open reservation of these orders (cancelled, refunded). Returns the products touched. */
export async function releaseOrders(db: Database, tx: Orm, orderIds: string[], reason: string): Promise<string[]> {
  if (orderIds.length === 0) return [];
  const rows = await db.rows<{ product_record_id: string }>(sql`
    update reservations set released_at = now(), release_reason = ${reason}
    where order_record_id = any(${uuidArray(orderIds)}) and released_at is null
    returning product_record_id`, tx);
  return [...new Set(rows.map((r) => r.product_record_id))];
}

/**
 * A product scan of `connectionId` that started at `scanStartedAt` was applied to these
 * products: reservations of orders that had landed there before the scan began are now
 * part of the stock it reported, so they end here. Returns the products touched.
 */
/** Whether open reservations of orders that landed on this connection before `at` exist. */
export async function hasLandedReservations(db: Database, connectionId: string, at: Date): Promise<boolean> {
  const [row] = await db.rows<{ any: boolean }>(sql`
    select exists (select 1 from reservations where released_at is null and landed_connection_id = ${connectionId}
      and landed_at < ${at.toISOString()}::timestamptz) as any`);
  return row.any;
}

export async function releaseLanded(
  db: Database, tx: Orm, connectionId: string, productIds: string[], scanStartedAt: Date,
): Promise<string[]> {
  if (productIds.length === 0) return [];
  const rows = await db.rows<{ product_record_id: string }>(sql`
    update reservations set released_at = now(), release_reason = 'stock_reported'
    where released_at is null and landed_connection_id = ${connectionId} and landed_at < ${scanStartedAt.toISOString()}::timestamptz
      and product_record_id = any(${uuidArray(productIds)})
    returning product_record_id`, tx);
  return [...new Set(rows.map((r) => r.product_record_id))];
}

/** The reservation ledger of one product, newest first, for `GET /api/products/:id`. */
export async function reservationLedger(db: Database, productId: string, limit = 200) {
  const rows = await db.rows<{
    order_record_id: string; number: string | null; variation: string; quantity: number; source_connection_id: string | null;
    created_at: Date; landed_connection_id: string | null; landed_at: Date | null; released_at: Date | null; release_reason: string | null;
  }>(sql`
    select v.order_record_id, r.sku as number, v.variation, v.quantity, v.source_connection_id, v.created_at,
      v.landed_connection_id, v.landed_at, v.released_at, v.release_reason
    from reservations v left join records r on r.id = v.order_record_id
    where v.product_record_id = ${productId}
    order by v.created_at desc, v.order_record_id limit ${limit}`);
  const open = (await openReservations(db, [productId])).get(productId) ?? new Map<string, number>();
  return {
    open: Object.fromEntries(open),
    entries: rows.map((r) => ({
      orderId: r.order_record_id, orderNumber: r.number, variation: r.variation, quantity: r.quantity,
      sourceConnectionId: r.source_connection_id, createdAt: r.created_at,
      landedConnectionId: r.landed_connection_id, landedAt: r.landed_at,
      releasedAt: r.released_at, releaseReason: r.release_reason,
      state: r.released_at ? 'released' : 'open',
    })),
  };
}
