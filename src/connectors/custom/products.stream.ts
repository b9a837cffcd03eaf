import type { Product } from '../../model/product.js';
import type { Cursor, ReadEvent } from '../types.js';
import type { CustomClient } from './custom.client.js';
import { walkIds, walkListing } from './paging.js';
import { fromStore, rawFingerprint, storeId, textFingerprint } from './product.mapper.js';

/**
 * Products stream: a full scan of `GET {productsUrl}?offset=N`. The protocol has no
 * "changed since", so `from` is not used to filter; the final checkpoint records
 * when the scan started and whether it saw the whole list. With `ids` (a webhook's
 * hint) it reads just those products and ends incomplete.
 *
 * @example
 * for await (const ev of readProducts(client, null, 100_000)) if (ev.type === 'record') save(ev.record);
 */
export async function* readProducts(
  client: CustomClient,
  _from: Cursor | null,
  maxPages: number,
  ids?: string[],
  unmapped = false,
): AsyncGenerator<ReadEvent<Product>> {
  const scannedAt = new Date().toISOString();
  const pages = ids ? walkIds(client, client.config.productsUrl, 'products', ids, maxPages) : walkListing(client, client.config.productsUrl, 'products', maxPages, unmapped);
  for await (const ev of pages) {
    if (ev.type === 'total') {
      yield ev;
    } else if (ev.type === 'item') {
      const map = () => {
        const mapped = fromStore(ev.raw);
        return mapped.ok
          ? { type: 'record' as const, externalId: mapped.externalId, record: mapped.record, notices: mapped.notices }
          : { type: 'invalid' as const, externalId: mapped.externalId, code: mapped.code, message: mapped.message };
      };
      const externalId = unmapped ? storeId(ev.raw) : null;
      if (externalId === null) yield map();
      else yield { type: 'unmapped', externalId, fingerprint: ev.text === undefined ? rawFingerprint(ev.raw) : textFingerprint(ev.text), map };
    } else {
      yield { type: 'checkpoint', cursor: { scannedAt }, complete: ev.complete, ...(ev.warning ? { warning: ev.warning } : {}) };
    }
  }
}
