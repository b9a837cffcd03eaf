import type { Product } from '../../model/product.js';
import { ConnectorError, type Cursor, type ReadEvent } from '../types.js';
import type { VendureClient } from './vendure.client.js';
import { fromVendure, isObject, type ShopContext } from './product.mapper.js';
import { PRODUCTS } from './queries.js';

/**
 * Products stream: every product of the channel, `take`/`skip` pages sorted by id
 * (new products land at the end, so a scan never skips one that existed when it
 * began). Vendure's product `updatedAt` does not move when only a variant's price or
 * stock changes, so each fetch is a full scan; the final checkpoint records when it
 * started and whether it saw the whole list.
 *
 * @example
 * for await (const ev of readProducts(client, shop, null)) if (ev.type === 'record') save(ev.record);
 */
export async function* readProducts(
  client: VendureClient,
  shop: ShopContext,
  _from: Cursor | null,
): AsyncGenerator<ReadEvent<Product>> {
  const { pageSize, maxPages } = client.config;
  const scannedAt = new Date().toISOString();
  const seen = new Set<string>();
  let firstTotal: number | null = null;
  for (let page = 0; ; page++) {
    if (page >= maxPages) {
      yield { type: 'checkpoint', cursor: { scannedAt }, complete: false, warning: `Stopped after ${maxPages} pages (${seen.size} products) without reaching the end of Vendure's list.` };
      return;
    }
    const skip = page * pageSize;
    const data = await client.query<{ products?: unknown }>(PRODUCTS, { take: pageSize, skip }, { idempotent: true });
    const list = isObject(data?.products) ? data.products : null;
    const items = list?.items;
    const total = list?.totalItems;
    if (!Array.isArray(items) || typeof total !== 'number') {
      throw new ConnectorError(
        'invalid_data',
        `Vendure answered the product list (from product ${skip + 1}) in an unexpected format: ${!list ? '"products" is missing' : !Array.isArray(items) ? '"products.items" is not a list' : '"products.totalItems" is not a number'}. ` +
          'Check that adminApiUrl points at the Vendure Admin API and that nothing in between rewrites its answers.',
        `products page skip=${skip}: keys ${list ? Object.keys(list).join(', ') : Object.keys(data ?? {}).join(', ')}`,
      );
    }
    if (firstTotal === null) {
      firstTotal = total;
      yield { type: 'total', total };
    }
    for (const raw of items) {
      const mapped = fromVendure(raw, shop);
      if (mapped.ok) {
        if (seen.has(mapped.externalId)) continue;
        seen.add(mapped.externalId);
        yield { type: 'record', externalId: mapped.externalId, record: mapped.record, notices: mapped.notices };
      } else {
        if (mapped.externalId) seen.add(mapped.externalId);
        yield { type: 'invalid', externalId: mapped.externalId, code: mapped.code, message: mapped.message };
      }
    }
    if (items.length < pageSize || skip + items.length >= total) {
      // Products deleted while the scan ran shift later pages back: one may have been skipped.
      const shrunk = total < firstTotal;
      yield {
        type: 'checkpoint', cursor: { scannedAt }, complete: !shrunk,
        ...(shrunk ? { warning: `Vendure's product count fell from ${firstTotal} to ${total} during the scan, so a product may have been skipped; the next fetch reads them again.` } : {}),
        ...(!shrunk && seen.size === 0 ? { warning: 'Vendure listed no products at all.' } : {}),
      };
      return;
    }
  }
}
