import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts, connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront, type StoreProduct } from '../src/storefront/server.js';

/** The same catalog as `shop`, as a second store holding the same SKUs would have it (its own ids). */
function sameSkus(shop: Storefront): StoreProduct[] {
  return [...shop.products.values()].map((p, i) => {
    const copy = structuredClone(p);
    return { ...copy, _id: String(5_000_001 + i), variations: copy.variations?.map((v, j) => ({ ...v, _id: `${5_000_001 + i}-${j}` })) };
  });
}

const hubPrices = async (hub: TestHub) => new Map((await allProducts(hub)).map((p) => [p.sku, p.variations.map((v: any) => v.prices[0]?.amount)]));
const storePrices = (shop: Storefront) => new Map([...shop.products.values()].map((p) => [p.sku, p.variations!.map((v) => Number(v.prices?.[0]?.number))]));

describe.each(DATABASES)('binding a store whose price rules transform the value (%s)', (kind) => {
  let hub: TestHub;
  let web: Storefront;
  let m1: Storefront;
  let m2: Storefront;
  let W: any;
  let M1: any;
  let M2: any;
  beforeAll(async () => {
    hub = await startTestHub(kind);
    web = await startStorefront({ key: 'trust-web-123456', products: 12 });
    m1 = await startStorefront({ key: 'trust-m1-1234567', products: sameSkus(web) });
    m2 = await startStorefront({ key: 'trust-m2-1234567', products: sameSkus(web) });
    W = await connectShop(hub, 'Webshop', web);
    M1 = await connectShop(hub, 'Margin ten', m1, { settings: { price: { marginPercent: 10 } } });
    M2 = await connectShop(hub, 'Margin twenty', m2, { settings: { price: { marginPercent: 20, add: 1, round: 'cents99' } } });
    expect((await hub.run('fetch', W.id)).state).toBe('completed');
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all([web, m1, m2].map((s) => s?.close()));
  });

  it('never lowers the master prices: the bound listings get the margined price as a pending update, the webshop nothing', async () => {
    const master = await hubPrices(hub);
    expect(master).toEqual(storePrices(web));
    for (const c of [M1, M2]) {
      const fetched = await hub.run('fetch', c.id);
      expect(fetched.state).toBe('completed');
      expect(fetched.summary.fetch).toMatchObject({ bound: 12, created: 0 });
    }
    // Fetching again (both stores unchanged) changes nothing either: no flip between the two.
    for (const c of [M1, M2, M1]) expect((await hub.run('fetch', c.id)).state).toBe('completed');
    expect(await hubPrices(hub)).toEqual(master);

    const webConn = (await hub.api('GET', `/api/connections/${W.id}`)).body;
    expect(webConn.pending.updates).toBe(0);
    const before = web.requests.length;
    expect((await hub.run('send', W.id)).summary.send).toMatchObject({ updated: 0, created: 0 });
    expect(web.requests.length).toBe(before);

    // The marketplaces get the projection of the master price.
    const sent = await hub.run('send', M1.id);
    expect(sent.summary.send).toMatchObject({ updated: 12, created: 0, failed: 0 });
    for (const [sku, prices] of storePrices(m1)) {
      expect(prices).toEqual(master.get(sku)!.map((a: number) => Math.round(a * 1.1 * 100) / 100));
    }
    expect((await hub.run('send', M2.id)).summary.send).toMatchObject({ updated: 12, created: 0, failed: 0 });
    for (const [sku, prices] of storePrices(m2)) {
      expect(prices).toEqual(master.get(sku)!.map((a: number) => Math.floor(a * 1.2 + 1) + 0.99));
    }
    // Reading them back is no change, and the master prices still stand.
    for (const c of [M1, M2]) expect((await hub.run('fetch', c.id)).summary.fetch).toMatchObject({ changed: 0 });
    expect(await hubPrices(hub)).toEqual(master);
  });

  it('a price the merchant changes on a margined store after binding still flows to the hub, un-margined', async () => {
    const [first] = [...m1.products.values()];
    const was = Number(first.variations![0].prices![0].number);
    first.variations![0].prices![0].number = String(Math.round((was + 11) * 100) / 100) as never;
    expect((await hub.run('fetch', M1.id)).summary.fetch).toMatchObject({ changed: 1 });
    const now = (await hubPrices(hub)).get(first.sku)!;
    expect(now[0]).toBeCloseTo((was + 11) / 1.1, 2);
  });
});
