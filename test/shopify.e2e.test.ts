import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts, connectShop, until } from './helpers/shops.js';
import { startShopifySim, type ShopifySim } from './fixtures/shopify-server.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { demoProduct } from '../src/storefront/catalog.js';

describe.each(DATABASES)('Shopify (simulated Admin GraphQL API) both ways with a webshop (%s)', (kind) => {
  let hub: TestHub;
  let sim: ShopifySim;
  let shop: Storefront;
  let SH: any;
  let S: any;
  const own = [0, 1, 2, 3, 4, 5, 6].map((i) => demoProduct(40 + i));
  beforeAll(async () => {
    hub = await startTestHub(kind);
    // A small, fast-refilling allowance so the tests meet the throttle without waiting long.
    sim = await startShopifySim({ bucket: 1000, restoreRate: 4000 });
    shop = await startStorefront({ key: 'shopify-webshop-1', products: own.map((p) => structuredClone(p)), decrementStockOnOrder: true });
    const res = await hub.api('POST', '/api/connections', {
      name: 'Shopify', kind: 'shopify',
      config: { shopUrl: sim.url, accessToken: sim.accessToken, retryBaseMs: 5, retries: 3 },
      settings: { absorb: { products: true } },
    });
    expect(res.status).toBe(201);
    SH = res.body;
    expect(SH.config.accessToken).toBe('********');
    S = await connectShop(hub, 'Webshop', shop, { settings: { absorb: { products: true, orders: true } } });
  });
  afterAll(async () => {
    await hub?.close();
    await sim?.close();
    await shop?.close();
  });

  it('reads products with variants and stock per location, and absorbs them into the webshop', async () => {
    const job = await hub.run('fetch', SH.id);
    expect(job.state).toBe('completed');
    expect(job.summary.fetch).toMatchObject({ scanned: 1, created: 1, complete: true });
    const board = (await allProducts(hub)).find((p) => p.sku === 'the-complete-snowboard');
    expect(board).toMatchObject({ title: 'The Complete Snowboard', brand: 'Snowboard Vendor', categories: ['Snowboards'], tags: ['Premium', 'Snow'] });
    expect(board.variations.map((v: any) => [v.sku, v.color, v.prices, v.availabilities])).toEqual([
      ['SNOW-ICE', 'Ice', [{ tag: 'default', currency: 'USD', amount: 699.95 }], [{ tag: 'default', quantity: 10 }, { tag: 'Warehouse', quantity: 4 }]],
      ['SNOW-DAWN', 'Dawn', [{ tag: 'default', currency: 'USD', amount: 699.95 }, { tag: 'compare_at', currency: 'USD', amount: 749.95 }], [{ tag: 'default', quantity: 3 }]],
    ]);
    expect((await hub.run('send', S.id)).summary.send).toMatchObject({ created: 1, failed: 0 });
  });

  it('creates the webshop\'s products in Shopify with options, variants and stock, paging past several pages', async () => {
    expect((await hub.run('fetch', S.id)).summary.fetch.created).toBe(own.length);
    const sent = await hub.run('send', SH.id);
    expect(sent.summary.send).toMatchObject({ created: own.length, failed: 0 });
    for (const p of own) {
      const inShopify = [...sim.products.values()].find((x) => x.handle === p.sku!.toLowerCase())!;
      expect(inShopify).toMatchObject({ title: p.title, vendor: p.brand, productType: p.categories![0], status: 'ACTIVE' });
      expect(inShopify.variants.map((v: any) => [v.sku, v.price, v.stock.get(sim.locations[0].id)])).toEqual(p.variations!.map((v) => [
        v.sku, Number(v.prices![0].number).toFixed(2), Number(v.availabilities![0].quantity),
      ]));
    }
    // Eight products at five a page: the next fetch walks two pages and finds nothing new.
    const echo = await hub.run('fetch', SH.id);
    expect(echo.summary.fetch).toMatchObject({ scanned: own.length + 1, changed: 0, created: 0, complete: true });
    expect((await hub.api('GET', `/api/connections/${SH.id}`)).body.pending).toMatchObject({ inserts: 0, updates: 0 });
  });

  it('a price change on each side reaches the other; a stock change is an absolute inventorySetQuantities', async () => {
    const ice = [...sim.products.values()][0].variants[0];
    ice.price = '649.00';
    expect((await hub.run('fetch', SH.id)).summary.fetch.changed).toBe(1);
    const before = shop.requests.length;
    expect((await hub.run('send', S.id)).summary.send.updated).toBe(1);
    expect(shop.requests.slice(before).map((r) => r.body)).toEqual([
      { variations: [{ _id: expect.any(String), sku: 'SNOW-ICE', prices: [{ tag: 'default', currency: 'USD', number: 649 }] }] },
    ]);

    const mine = [...shop.products.values()].find((p) => p.sku === own[0].sku)!;
    mine.variations![0].prices![0].number = '31.40';
    mine.variations![1].availabilities![0].quantity = '17';
    expect((await hub.run('fetch', S.id)).summary.fetch.changed).toBe(1);
    const writes = sim.writes.length;
    expect((await hub.run('send', SH.id)).summary.send.updated).toBe(1);
    const inShopify = [...sim.products.values()].find((x) => x.handle === own[0].sku!.toLowerCase())!;
    const [v0, v1] = inShopify.variants;
    expect(sim.writes.slice(writes)).toEqual([
      { field: 'productVariantsBulkUpdate', variables: { productId: inShopify.id, variants: [{ id: v0.id, price: '31.40', compareAtPrice: null }] } },
      { field: 'inventorySetQuantities', variables: { input: { name: 'available', reason: 'correction', ignoreCompareQuantity: true, quantities: [{ inventoryItemId: v1.inventoryItemId, locationId: sim.locations[0].id, quantity: 17 }] } } },
    ]);
    expect(v0.price).toBe('31.40');
    expect(v1.stock.get(sim.locations[0].id)).toBe(17);
  });

  it('an order placed in Shopify reaches the webshop, and its tracking comes back as a Shopify fulfilment', async () => {
    const dawn = [...sim.products.values()][0].variants[1];
    const placed = sim.placeOrder([{ variantId: dawn.id, quantity: 1 }]);
    const fetched = await hub.run('fetch', SH.id);
    expect(fetched.summary.fetchOrders).toMatchObject({ created: 1, unmatchedLines: 0 });
    expect((await hub.run('send', S.id)).summary.sendOrders).toMatchObject({ forwarded: 1, failed: 0 });
    const inShop = [...shop.orders.values()].find((o) => o.orderid === placed.name)!;
    expect(inShop).toBeDefined();
    inShop.status = 'shipped';
    inShop.shipments = [{ carrier: 'FedEx', trackingNumber: '449044304137821', labelUrl: '', date: '2026-03-02T10:00:00Z' }];
    expect((await hub.run('fetch', S.id)).summary.fetchOrders).toMatchObject({ changed: 1 });
    expect((await hub.run('send', SH.id)).summary.sendOrders).toMatchObject({ updated: 1, failed: 0 });
    const order = sim.orders.get(placed.id);
    expect(order.displayFulfillmentStatus).toBe('FULFILLED');
    expect(order.fulfillments.map((f: any) => f.trackingInfo())).toEqual([[{ company: 'FedEx', number: '449044304137821', url: null }]]);
    expect((await hub.run('fetch', SH.id)).summary.fetchOrders).toMatchObject({ changed: 0, created: 0 });
  });

  it('the cost throttle and 429s are waited out; a revoked token stops the job in plain words; it resumes once fixed', async () => {
    const count = async () => (await hub.api('GET', '/api/products?limit=1')).body.total;
    const before = await count();
    // Another app spends the shop's whole allowance: the hub's queries are THROTTLED until it stops.
    const throttled = sim.throttled;
    sim.hogBucket(true);
    const started = await hub.api('POST', `/api/connections/${SH.id}/fetch`);
    await until('the hub to be throttled', () => sim.throttled > throttled);
    sim.hogBucket(false);
    const job = await hub.waitJob(started.body.jobId);
    expect(job.state).toBe('completed');
    expect(job.summary.fetch).toMatchObject({ changed: 0, complete: true });

    sim.setFaults({ status429: { count: 2, retryAfterSeconds: 0 } });
    expect((await hub.run('fetch', SH.id)).state).toBe('completed');

    sim.setFaults({ revoked: true });
    const refused = await hub.run('fetch', SH.id);
    expect(refused.state).toBe('failed');
    expect(refused.error).toMatch(/Shopify refused the access token \(HTTP 401: \[API\] Invalid API key or access token/);

    sim.setFaults({ status5xx: 10 });
    const down = await hub.run('fetch', SH.id);
    expect(down.state).toBe('failed');
    expect(down.error).toMatch(/Shopify is having problems \(HTTP 503\)/);

    sim.setFaults({});
    const resumed = await hub.run('fetch', SH.id);
    expect(resumed.summary.fetch).toMatchObject({ changed: 0, created: 0, complete: true });
    expect(await count()).toBe(before);
  });
});
