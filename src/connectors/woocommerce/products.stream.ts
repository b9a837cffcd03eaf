import type { Product } from '../../model/product.js';
import type { Cursor, ReadEvent } from '../types.js';
import type { WooClient } from './woo.client.js';
import { fromWoo, type WooProduct, type WooVariation } from './product.mapper.js';

/**
 * Products stream: `GET /products?page=N&per_page=…&orderby=id&order=asc` until
 * X-WP-TotalPages, and for each variable product its variations (WooCommerce lists
 * only their ids with the product). A full scan each fetch; the final checkpoint
 * says whether every page was read.
 *
 * @example
 * for await (const ev of readProducts(client, 'USD', null)) if (ev.type === 'record') save(ev.record);
 */
export async function* readProducts(client: WooClient, currency: string, _from: Cursor | null): AsyncGenerator<ReadEvent<Product>> {
  const scannedAt = new Date().toISOString();
  const seen = new Set<number>();
  const { perPage, maxPages } = client.config;
  for (let page = 1; ; page++) {
    if (page > maxPages) {
      yield { type: 'checkpoint', cursor: { scannedAt }, complete: false, warning: `Stopped after ${maxPages} pages of WooCommerce products.` };
      return;
    }
    const list = await client.list<WooProduct>('products', { page, per_page: perPage, orderby: 'id', order: 'asc' });
    if (page === 1 && list.total !== null) yield { type: 'total', total: list.total };
    for (const p of list.items) {
      if (typeof p?.id === 'number') {
        if (seen.has(p.id)) continue;
        seen.add(p.id);
      }
      const variations = p?.type === 'variable' && typeof p.id === 'number' ? await readVariations(client, p.id) : null;
      const mapped = fromWoo(p, variations, currency);
      yield mapped.ok
        ? { type: 'record', externalId: mapped.externalId, record: mapped.record, notices: mapped.notices }
        : { type: 'invalid', externalId: mapped.externalId, code: mapped.code, message: mapped.message };
    }
    const lastPage = list.totalPages !== null ? page >= list.totalPages : list.items.length < perPage;
    if (list.items.length === 0 || lastPage) {
      yield { type: 'checkpoint', cursor: { scannedAt }, complete: true, ...(seen.size === 0 ? { warning: 'WooCommerce listed no products at all.' } : {}) };
      return;
    }
  }
}

export async function readVariations(client: WooClient, productId: number): Promise<WooVariation[]> {
  const out: WooVariation[] = [];
  for (let page = 1; ; page++) {
    const list = await client.list<WooVariation>(`products/${productId}/variations`, { page, per_page: 100, orderby: 'id', order: 'asc' });
    out.push(...list.items);
    if (list.items.length === 0 || (list.totalPages !== null ? page >= list.totalPages : list.items.length < 100)) return out;
  }
}
