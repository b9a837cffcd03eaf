import type { Product } from '../../model/product.js';
import { ConnectorError, type Cursor, type ReadEvent } from '../types.js';
import type { ShopifyClient } from './shopify.client.js';
import { fromShopify, type ShopContext, type ShopifyProduct, type ShopifyVariant } from './product.mapper.js';
import { MORE_VARIANTS, PRODUCTS } from './queries.js';

/**
 * Products stream: cursor pages of `products(sortKey: ID)` (new products come last,
 * so a scan never skips one), each product's variants paged on when it has more
 * than one page of them. A full scan per fetch.
 *
 * @example
 * for await (const ev of readProducts(client, shop, null)) if (ev.type === 'record') save(ev.record);
 */
export async function* readProducts(client: ShopifyClient, shop: ShopContext, _from: Cursor | null): AsyncGenerator<ReadEvent<Product>> {
  const scannedAt = new Date().toISOString();
  let after: string | null = null;
  let seen = 0;
  for (let page = 0; ; page++) {
    if (page >= client.config.maxPages) {
      yield { type: 'checkpoint', cursor: { scannedAt }, complete: false, warning: `Stopped after ${page} pages of Shopify products.` };
      return;
    }
    const data: { products?: { pageInfo?: { hasNextPage: boolean; endCursor: string | null }; nodes?: ShopifyProduct[] } } =
      await client.query(PRODUCTS, { first: client.config.pageSize, after }, true, 800);
    const list = data.products;
    if (!list || !Array.isArray(list.nodes) || !list.pageInfo) {
      throw new ConnectorError('invalid_data', `Shopify answered the product list (page ${page + 1}) in an unexpected format.`, JSON.stringify(data).slice(0, 200));
    }
    for (const p of list.nodes) {
      seen++;
      const mapped = fromShopify(p, await allVariants(client, p), shop);
      yield mapped.ok
        ? { type: 'record', externalId: mapped.externalId, record: mapped.record, notices: mapped.notices }
        : { type: 'invalid', externalId: mapped.externalId, code: mapped.code, message: mapped.message };
    }
    if (!list.pageInfo.hasNextPage) {
      yield { type: 'checkpoint', cursor: { scannedAt }, complete: true, ...(seen === 0 ? { warning: 'Shopify listed no products at all.' } : {}) };
      return;
    }
    after = list.pageInfo.endCursor;
  }
}

/** Every variant of a product: the first page came with it, the rest is paged on. */
export async function allVariants(client: ShopifyClient, p: ShopifyProduct): Promise<ShopifyVariant[]> {
  const out = [...(p.variants?.nodes ?? [])];
  let pageInfo = p.variants?.pageInfo;
  while (pageInfo?.hasNextPage) {
    const data: { product: { variants: ShopifyProduct['variants'] } | null } = await client.query(MORE_VARIANTS, { id: p.id, after: pageInfo.endCursor }, true, 160);
    if (!data.product) break;
    out.push(...data.product.variants.nodes);
    pageInfo = data.product.variants.pageInfo;
  }
  return out;
}
