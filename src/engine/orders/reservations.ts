import { sql } from 'drizzle-orm';
import { uuidArray, type Database, type Orm } from '../../db/index.js';
import type { Product } from '../../model/product.js';
import type { LoadedConnection } from '../connections.js';
import { replanProducts } from '../plan.js';
import { releaseLanded } from './ledger.js';

/**
 * Replans the stock of these product records on every connection after their
 * reservations changed (an order reserved, landed or released them).
 */
export async function replanProductIds(db: Database, tx: Orm, productIds: Iterable<string>, all: LoadedConnection[]): Promise<void> {
  const ids = [...new Set(productIds)];
  if (ids.length === 0) return;
  const rows = await db.rows<{ id: string; data: Product }>(sql`
    select id, data from records where entity = 'product' and id = any(${uuidArray(ids)})`, tx);
  await replanProducts(db, tx, new Map(rows.map((r) => [r.id, r.data])), all);
}

/**
 * Called by the product fetch for each page it applies: a fulfilling connection's
 * stock reading that began after an order landed there already counts that sale,
 * so the order's reservation ends in the same transaction that applies the reading
 * (the sale is never counted twice, not even between two pages). Products the
 * fetch replans itself (`replannedByCaller`) are not replanned twice.
 */
export async function releaseOnStockReading(
  db: Database, tx: Orm, conn: LoadedConnection, all: LoadedConnection[],
  productIds: string[], replannedByCaller: ReadonlySet<string>, scanStartedAt: Date,
): Promise<void> {
  const released = await releaseLanded(db, tx, conn.id, productIds, scanStartedAt);
  await replanProductIds(db, tx, released.filter((id) => !replannedByCaller.has(id)), all);
}
