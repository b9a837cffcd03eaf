import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop, skuCounts, startBreakingProxy } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { demoProduct } from '../src/storefront/catalog.js';

const PRODUCTS = 90;
const HELD = 30;

// A shop that already holds some of the products is added with absorb on, and the merchant presses
// Sync: its fetch (slow, page by page) runs beside its send. No create may be written for a product
// the shop already has, whatever the interleaving.
describe.each(DATABASES)('Sync on a new absorbing connection that already holds some products (%s)', (kind) => {
  let hub: TestHub;
  let web: Storefront;
  let market: Storefront;
  let proxy: Awaited<ReturnType<typeof startBreakingProxy>>;
  beforeAll(async () => {
    hub = await startTestHub(kind);
    const catalog = Array.from({ length: PRODUCTS }, (_, i) => demoProduct(i));
    web = await startStorefront({ key: 'sync-web-1234567', products: catalog });
    // The market holds every third product of the webshop, under its own ids, at the end of its listing.
    const held = catalog.filter((_, i) => i % 3 === 2).slice(0, HELD).map((p, i) => {
      const copy = structuredClone(p);
      return { ...copy, _id: String(8_000_001 + i), variations: copy.variations?.map((v, j) => ({ ...v, _id: `${8_000_001 + i}-${j}` })) };
    });
    market = await startStorefront({ key: 'sync-market-1234', products: held, pageSize: 5 });
    proxy = await startBreakingProxy(market);
    proxy.readDelayMs = 40;
  });
  afterAll(async () => {
    await hub?.close();
    await proxy?.close();
    await Promise.all([web?.close(), market?.close()]);
  });

  it('never writes a create for a product the shop already holds, and binds those instead', async () => {
    const W = await connectShop(hub, 'Webshop', web);
    expect((await hub.run('fetch', W.id)).state).toBe('completed');
    const M = await connectShop(hub, 'Market', market, {
      settings: { absorb: { products: true } },
      config: { productsUrl: proxy.productsUrl, ordersUrl: proxy.ordersUrl },
    });
    const synced = await hub.run('sync', M.id);
    expect(synced.state).toBe('completed');
    const counts = skuCounts(market);
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
    expect(counts.size).toBe(PRODUCTS);
    expect(synced.summary.send.created).toBe(PRODUCTS - HELD);
    // A second sync finds everything in place.
    const again = await hub.run('sync', M.id);
    expect(again.summary.send).toMatchObject({ created: 0, failed: 0 });
    expect(market.products.size).toBe(PRODUCTS);
  });
});
