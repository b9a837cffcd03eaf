import { sql } from 'drizzle-orm';
import { uuidArray, type Database, type Orm } from '../../db/index.js';
import { HOLDING_STATUSES, type Order } from '../../model/order.js';
import { fieldMode } from '../../model/settings.js';
import type { LoadedConnection } from '../connections.js';
import type { NewIssue } from '../issues.js';
import { fulfillers } from './plan.js';

/**
 * A hold (reservation) keeps a sale's units off what the other channels are offered
 * until the stock the hub reads counts that sale. Who counts it:
 * - a fulfilling connection (absorb.orders) other than the source, once the order is
 *   forwarded there and its next stock reading begins (ledger: land, releaseLanded);
 * - with none, the source itself, if its stock flows into the hub (stock detect): the
 *   hold is landed there at once and ends at its next stock reading; a sale placed
 *   before its last reading began is already counted and never holds.
 * A hold nobody will count (no fulfiller, the source's stock not read) ends after
 * HOLD_WITHOUT_FULFILLER_HOURS, with a notice on the order.
 */
export const HOLD_WITHOUT_FULFILLER_HOURS = 48;

export interface HoldPolicy {
  /** Whether this order, newly read from the source, may hold stock at all. */
  mayHold(order: Order): boolean;
  /** The connection whose next stock reading counts the sale at once (no fulfiller), or null. */
  landOn: string | null;
}

/**
 * How orders read from `source` hold stock. `stockReadAt` is when the source's last
 * stock reading began (its product clock), read fresh: a sync reads products just before orders.
 */
export async function holdPolicy(db: Database, source: LoadedConnection, all: LoadedConnection[]): Promise<HoldPolicy> {
  // A fulfilling connection's own stock already counts the orders placed on it.
  if (source.settings.absorb.orders) return { mayHold: () => false, landOn: null };
  const open = (o: Order) => HOLDING_STATUSES.includes(o.status);
  if (fulfillers(all).some((c) => c.id !== source.id)) return { mayHold: open, landOn: null };
  if (!fieldMode(source.settings, 'stock').detect) return { mayHold: open, landOn: null };
  const [row] = await db.rows<{ clock: { startedAt?: string; lastScanAt?: string } | null }>(sql`
    select clocks->'products' as clock from connections where id = ${source.id}`);
  const at = row?.clock?.startedAt ?? row?.clock?.lastScanAt;
  const readAt = at ? Date.parse(at) : NaN;
  return {
    landOn: source.id,
    mayHold: (o) => {
      if (!open(o)) return false;
      const placed = o.dateCreated ? Date.parse(o.dateCreated) : NaN;
      // Placed before the last reading began: that reading's stock counts it already.
      return Number.isNaN(readAt) || Number.isNaN(placed) || placed >= readAt;
    },
  };
}

/**
 * Ends the holds that no stock reading will ever end (no connection fulfils the order,
 * and its source's reading did not end them) once they are HOLD_WITHOUT_FULFILLER_HOURS
 * old. Returns the products to replan and a notice per order.
 */
export async function expireHolds(db: Database, tx: Orm, all: LoadedConnection[]): Promise<{ products: string[]; orders: number; issues: NewIssue[] }> {
  const rows = await db.rows<{ order_record_id: string; product_record_id: string; quantity: number; source_connection_id: string | null; number: string | null }>(sql`
    with ended as (
      update reservations v set released_at = now(), release_reason = 'expired'
      where v.released_at is null
        and v.created_at < now() - make_interval(hours => ${HOLD_WITHOUT_FULFILLER_HOURS})
        and not exists (select 1 from unnest(${uuidArray(fulfillers(all).map((c) => c.id))}) f(id)
          where f.id is distinct from v.source_connection_id)
      returning v.order_record_id, v.product_record_id, v.quantity, v.source_connection_id)
    select e.order_record_id, e.product_record_id, e.quantity, e.source_connection_id, r.sku as number
    from ended e left join records r on r.id = e.order_record_id`, tx);
  const byOrder = new Map<string, { units: number; source: string | null; number: string | null }>();
  for (const r of rows) {
    const o = byOrder.get(r.order_record_id) ?? { units: 0, source: r.source_connection_id, number: r.number };
    o.units += r.quantity;
    byOrder.set(r.order_record_id, o);
  }
  const issues: NewIssue[] = [...byOrder].map(([orderId, o]) => ({
    connectionId: o.source, recordId: orderId, entity: 'order', severity: 'notice', code: 'reservation_expired', origin: 'engine',
    key: 'reservation_expired',
    message: `Order ${o.number ?? orderId} held ${o.units} unit${o.units === 1 ? '' : 's'} of stock for ${HOLD_WITHOUT_FULFILLER_HOURS} hours, ` +
      'but no connection fulfils it and no stock reading counted the sale, so the hold ended. To keep holds until the sale is counted, ' +
      'let the shop that ships orders absorb them (settings.absorb.orders), or let the source report its stock (fields.stock.detect).',
  }));
  return { products: [...new Set(rows.map((r) => r.product_record_id))], orders: byOrder.size, issues };
}
