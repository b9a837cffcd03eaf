import type { Order } from '../../model/order.js';
import { ConnectorError, type Cursor, type ReadEvent } from '../types.js';
import type { VendureClient } from './vendure.client.js';
import { fromVendureOrder } from './order.mapper.js';
import { isObject, type ShopContext } from './product.mapper.js';
import { ORDER_BY_ID, ORDERS } from './queries.js';

/** Orders updated this long before the last scan began are read again: Vendure's clock and the hub's may differ. */
const OVERLAP_MS = 5 * 60_000;

/**
 * Orders stream: placed orders (not carts), sorted by id. After the first full scan
 * only orders updated since the last scan are read (`updatedAt` moves with every
 * state change and fulfilment); sorting by id means an order updated during the
 * scan can only be read twice, never skipped. With `ids`, just those orders.
 *
 * @example
 * for await (const ev of readOrders(client, shop, { updatedAfter: '2026-01-01T00:00:00Z' })) ...
 */
export async function* readOrders(
  client: VendureClient,
  shop: ShopContext,
  from: Cursor | null,
  ids?: string[],
): AsyncGenerator<ReadEvent<Order>> {
  const { pageSize, maxPages } = client.config;
  const scannedAt = new Date().toISOString();
  if (ids) {
    for (const id of ids) {
      const { order } = await client.query<{ order: unknown }>(ORDER_BY_ID, { id }, { idempotent: true });
      if (!order) continue;
      const mapped = fromVendureOrder(order, shop);
      yield mapped.ok
        ? { type: 'record', externalId: mapped.externalId, record: mapped.record, notices: mapped.notices }
        : { type: 'invalid', externalId: mapped.externalId, code: mapped.code, message: mapped.message };
    }
    yield { type: 'checkpoint', cursor: from ?? {}, complete: false };
    return;
  }
  const since = typeof from?.updatedAfter === 'string' ? new Date(Date.parse(from.updatedAfter) - OVERLAP_MS).toISOString() : null;
  const filter = { active: { eq: false }, ...(since ? { updatedAt: { after: since } } : {}) };
  const seen = new Set<string>();
  for (let page = 0; ; page++) {
    if (page >= maxPages) {
      yield { type: 'checkpoint', cursor: from ?? {}, complete: false, warning: `Stopped after ${maxPages} pages of Vendure orders without reaching the end.` };
      return;
    }
    const skip = page * pageSize;
    const data = await client.query<{ orders?: unknown }>(ORDERS, { take: pageSize, skip, filter }, { idempotent: true });
    const list = isObject(data?.orders) ? data.orders : null;
    if (!list || !Array.isArray(list.items) || typeof list.totalItems !== 'number') {
      throw new ConnectorError('invalid_data',
        `Vendure answered the order list (from order ${skip + 1}) in an unexpected format. Check that adminApiUrl points at the Vendure Admin API.`,
        `orders page skip=${skip}: ${JSON.stringify(data)?.slice(0, 200)}`);
    }
    if (page === 0) yield { type: 'total', total: list.totalItems };
    for (const raw of list.items) {
      const mapped = fromVendureOrder(raw, shop);
      if (mapped.externalId) {
        if (seen.has(mapped.externalId)) continue;
        seen.add(mapped.externalId);
      }
      yield mapped.ok
        ? { type: 'record', externalId: mapped.externalId, record: mapped.record, notices: mapped.notices }
        : { type: 'invalid', externalId: mapped.externalId, code: mapped.code, message: mapped.message };
    }
    if (list.items.length < pageSize || skip + list.items.length >= list.totalItems) {
      // The cursor is the hub's time at the start: everything updated after it is read next time.
      yield { type: 'checkpoint', cursor: { updatedAfter: scannedAt }, complete: true };
      return;
    }
  }
}
