import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts, connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';

// A write's answer shows the whole listing, with whatever was changed there since the last fetch.
// Taking it as what the hub acknowledged would hide that change from every later fetch.
describe.each(DATABASES)('an edit made on a platform just before the hub writes there (%s)', (kind) => {
  let hub: TestHub;
  let web: Storefront;
  let market: Storefront;
  beforeAll(async () => {
    hub = await startTestHub(kind);
    web = await startStorefront({ key: 'answer-web-123456', products: 4 });
    market = await startStorefront({ key: 'answer-market-1234', products: [] });
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all([web?.close(), market?.close()]);
  });

  it('is still detected by the next fetch, and reaches the hub and the webshop', async () => {
    const W = await connectShop(hub, 'Webshop', web);
    const M = await connectShop(hub, 'Market', market, { settings: { absorb: { products: true } } });
    expect((await hub.run('fetch', W.id)).state).toBe('completed');
    expect((await hub.run('send', M.id)).summary.send.created).toBe(4);
    expect((await hub.run('fetch', M.id)).summary.fetch.changed).toBe(0);

    const source = [...web.products.values()][0];
    const listing = [...market.products.values()].find((p) => p.sku === source.sku)!;
    // On the market: the merchant renames the product, and a sale takes one unit.
    listing.title = 'Renamed on the market';
    const was = Number(listing.variations![0].availabilities![0].quantity);
    market.setStock(listing._id, 0, was - 1);
    // Meanwhile the webshop's price changes, and the hub writes it to the market before fetching it.
    source.variations![0].prices![0].number = '123.45';
    expect((await hub.run('fetch', W.id)).summary.fetch.changed).toBe(1);
    expect((await hub.run('send', M.id)).summary.send.updated).toBe(1);
    expect(Number(listing.variations![0].prices![0].number)).toBe(123.45);

    const fetched = await hub.run('fetch', M.id);
    expect(fetched.summary.fetch.changed).toBe(1);
    const product = (await allProducts(hub)).find((p) => p.sku === source.sku);
    expect(product.title).toBe('Renamed on the market');
    expect(product.variations[0].availabilities[0].quantity).toBe(was - 1);
    expect(product.variations[0].prices[0].amount).toBe(123.45);
    const sent = await hub.run('send', W.id);
    expect(sent.summary.send.updated).toBe(1);
    expect(source.title).toBe('Renamed on the market');
    expect(Number(source.variations![0].availabilities![0].quantity)).toBe(was - 1);
  });
});
