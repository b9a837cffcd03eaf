import type { Order } from '../../model/order.js';
import type { Cursor, ReadEvent } from '../types.js';
import type { CustomClient } from './custom.client.js';
import { fromStoreOrder } from './order.mapper.js';
import { walkIds, walkListing } from './paging.js';

/**
 * Orders stream: a full scan of `GET {ordersUrl}?offset=N`, each order read into the
 * universal order (lines keep the store's product and variation ids). The final
 * checkpoint records when the scan started and whether it saw the whole list. With
 * `ids` (a webhook's hint) it reads just those orders.
 *
 * @example
 * for await (const ev of readOrders(client, null, 100_000)) if (ev.type === 'record') save(ev.record.number);
 */
export async function* readOrders(
  client: CustomClient,
  _from: Cursor | null,
  maxPages: number,
  ids?: string[],
): AsyncGenerator<ReadEvent<Order>> {
  const scannedAt = new Date().toISOString();
  const pages = ids ? walkIds(client, client.config.ordersUrl, 'orders', ids, maxPages) : walkListing(client, client.config.ordersUrl, 'orders', maxPages);
  for await (const ev of pages) {
    if (ev.type === 'total') {
      yield ev;
    } else if (ev.type === 'item') {
      const mapped = fromStoreOrder(ev.raw);
      yield mapped.ok
        ? { type: 'record', externalId: mapped.externalId, record: mapped.record, notices: mapped.notices }
        : { type: 'invalid', externalId: mapped.externalId, code: mapped.code, message: mapped.message };
    } else if (ev.type === 'end') {
      // An empty order list is an ordinary shop without orders yet, not a broken listing.
      const warning = ev.warning && !/listed no orders at all/.test(ev.warning) ? ev.warning : undefined;
      yield { type: 'checkpoint', cursor: { scannedAt }, complete: ev.complete, ...(warning ? { warning } : {}) };
    }
  }
}
