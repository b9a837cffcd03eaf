import type { Order } from '../../model/order.js';
import { ConnectorError, type Cursor, type ReadEvent } from '../types.js';
import type { ShopifyClient } from './shopify.client.js';
import { fromShopifyOrder, type ShopifyOrder } from './order.mapper.js';
import { ORDER_BY_ID, ORDERS } from './queries.js';

const OVERLAP_MS = 5 * 60_000;

/**
 * Orders stream: cursor pages of `orders(sortKey: ID)`, after the first scan only
 * `updated_at:>` the last one (five minutes of overlap). With `ids`, just those.
 *
 * @example
 * for await (const ev of readOrders(client, { updatedAfter: '2026-01-01T00:00:00Z' })) ...
 */
export async function* readOrders(client: ShopifyClient, from: Cursor | null, ids?: string[]): AsyncGenerator<ReadEvent<Order>> {
  const scannedAt = new Date().toISOString();
  const emit = (raw: unknown): ReadEvent<Order> => {
    const mapped = fromShopifyOrder(raw);
    return mapped.ok
      ? { type: 'record', externalId: mapped.externalId, record: mapped.record, notices: mapped.notices }
      : { type: 'invalid', externalId: mapped.externalId, code: mapped.code, message: mapped.message };
  };
  if (ids) {
    for (const id of ids) {
      const { order } = await client.query<{ order: ShopifyOrder | null }>(ORDER_BY_ID, { id }, true, 130);
      if (order) yield emit(order);
    }
    yield { type: 'checkpoint', cursor: from ?? {}, complete: false };
    return;
  }
  const since = typeof from?.updatedAfter === 'string' ? new Date(Date.parse(from.updatedAfter) - OVERLAP_MS).toISOString() : null;
  let after: string | null = null;
  for (;;) {
    const data: { orders?: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: ShopifyOrder[] } } =
      await client.query(ORDERS, { first: 5, after, query: since ? `updated_at:>'${since}'` : null }, true, 600);
    if (!data.orders || !Array.isArray(data.orders.nodes)) {
      throw new ConnectorError('invalid_data', 'Shopify answered the order list in an unexpected format.', JSON.stringify(data).slice(0, 200));
    }
    for (const o of data.orders.nodes) yield emit(o);
    if (!data.orders.pageInfo.hasNextPage) {
      yield { type: 'checkpoint', cursor: { updatedAfter: scannedAt }, complete: true };
      return;
    }
    after = data.orders.pageInfo.endCursor;
  }
}
