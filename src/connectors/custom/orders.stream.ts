import type { Cursor, ReadEvent } from '../types.js';
import type { CustomClient } from './custom.client.js';
import { walkListing } from './paging.js';

/**
 * Orders stream: a full scan of `GET {ordersUrl}?offset=N`. Until the universal
 * order model exists, each record is the store's order object as received.
 */
export async function* readOrders(
  client: CustomClient,
  _from: Cursor | null,
  maxPages: number,
): AsyncGenerator<ReadEvent<unknown>> {
  const scannedAt = new Date().toISOString();
  for await (const ev of walkListing(client, client.config.ordersUrl, 'orders', maxPages)) {
    if (ev.type === 'total') {
      yield ev;
    } else if (ev.type === 'item') {
      yield ev.id === null
        ? { type: 'invalid', externalId: null, code: 'missing_id', message: 'The order has no _id.' }
        : { type: 'record', externalId: ev.id, record: ev.raw, notices: [] };
    } else {
      yield { type: 'checkpoint', cursor: { scannedAt }, complete: ev.complete, ...(ev.warning ? { warning: ev.warning } : {}) };
    }
  }
}
