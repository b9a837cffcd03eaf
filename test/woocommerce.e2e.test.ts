import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts, connectShop } from './helpers/shops.js';
import { startWooSim, type WooSim } from './fixtures/woocommerce-server.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { demoProduct } from '../src/storefront/catalog.js';

describe.each(DATABASES)('WooCommerce (simulated REST API v3) both ways with a webshop (%s)', (kind) => {
  let hub: TestHub;
  let woo: WooSim;
  let shop: Storefront;
  let WC: any;
  let S: any;
  const own = [0, 1, 2].map((i) => demoProduct(i));
  beforeAll(async () => {
    hub = await startTestHub(kind);
    woo = await startWooSim();
    shop = await startStorefront({ key: 'woo-webshop-123', products: own.map((p) => structuredClone(p)), decrementStockOnOrder: true });
    const res = await hub.api('POST', '/api/connections', {
      name: 'WooCommerce', kind: 'woocommerce',
      // One product per page, so every fetch walks the X-WP-TotalPages paging.
      config: { storeUrl: woo.url, consumerKey: woo.consumerKey, consumerSecret: woo.consumerSecret, perPage: 1, retryBaseMs: 5, retries: 3 },
      settings: { absorb: { products: true } },
    });
    expect(res.status).toBe(201);
    WC = res.body;
    S = await connectShop(hub, 'Webshop', shop, { settings: { absorb: { products: true, orders: true } } });
  });
  afterAll(async () => {
    await hub?.close();
    await woo?.close();
    await shop?.close();
  });

  it('reads simple and variable products page by page into the hub and absorbs them into the webshop', async () => {
    const job = await hub.run('fetch', WC.id);
    expect(job.state).toBe('completed');
    expect(job.summary.fetch).toMatchObject({ scanned: 2, created: 2, invalid: 0, complete: true });
    const products = await allProducts(hub);
    expect(products.find((p) => p.sku === 'PQ-794')).toMatchObject({
      title: 'Premium Quality', categories: ['Clothing', 'T-shirts'], status: 'published',
      variations: [{ sku: 'PQ-794', prices: [{ tag: 'default', currency: 'USD', amount: 21.99 }], availabilities: [{ tag: 'default', quantity: 25 }] }],
    });
    expect(products.find((p) => p.sku === 'SYI-799').variations.map((v: any) => [v.sku, v.color, v.availabilities[0].quantity]))
      .toEqual([['SYI-799-BLK', 'Black', 8], ['SYI-799-GRN', 'Green', 0]]);
    expect((await hub.run('send', S.id)).summary.send).toMatchObject({ created: 2, failed: 0 });
    expect([...shop.products.values()].find((p) => p.sku === 'SYI-799')!.variations!.map((v) => v.sku)).toEqual(['SYI-799-BLK', 'SYI-799-GRN']);
  });

  it('creates the webshop\'s products in WooCommerce as variable products with their variations', async () => {
    expect((await hub.run('fetch', S.id)).summary.fetch.created).toBe(3);
    const sent = await hub.run('send', WC.id);
    expect(sent.summary.send).toMatchObject({ created: 3, failed: 0 });
    for (const p of own) {
      const inWoo = [...woo.products.values()].find((x) => x.sku === p.sku);
      expect(inWoo).toMatchObject({ name: p.title, type: 'variable', status: 'publish', categories: [{ name: p.categories![0] }] });
      const vs = [...woo.variations.get(inWoo.id)!.values()];
      expect(vs.map((v) => [v.sku, v.regular_price, v.stock_quantity])).toEqual(p.variations!.map((v) => [
        v.sku, Number(v.prices![0].number).toFixed(2), Number(v.availabilities![0].quantity),
      ]));
    }
    const echo = await hub.run('fetch', WC.id);
    expect(echo.summary.fetch).toMatchObject({ scanned: 5, changed: 0, created: 0 });
    expect((await hub.api('GET', `/api/connections/${WC.id}`)).body.pending).toMatchObject({ inserts: 0, updates: 0 });
  });

  it('a price change on each side reaches the other, writing only the price', async () => {
    // In WooCommerce: the green Ship Your Idea.
    const green = woo.variations.get(799)!.get(733);
    green.regular_price = '11.50';
    green.date_modified_gmt = new Date().toISOString().slice(0, 19);
    expect((await hub.run('fetch', WC.id)).summary.fetch.changed).toBe(1);
    const before = shop.requests.length;
    expect((await hub.run('send', S.id)).summary.send.updated).toBe(1);
    expect(shop.requests.slice(before).map((r) => r.body)).toEqual([
      { variations: [{ _id: expect.any(String), sku: 'SYI-799-GRN', prices: [{ tag: 'default', currency: 'USD', number: 11.5 }] }] },
    ]);

    // In the webshop: one variation of its first product.
    const mine = [...shop.products.values()].find((p) => p.sku === own[0].sku)!;
    mine.variations![1].prices![0].number = '55.55';
    expect((await hub.run('fetch', S.id)).summary.fetch.changed).toBe(1);
    const writes = woo.writes.length;
    expect((await hub.run('send', WC.id)).summary.send.updated).toBe(1);
    const inWoo = [...woo.products.values()].find((x) => x.sku === own[0].sku);
    const variation = [...woo.variations.get(inWoo.id)!.values()].find((v) => v.sku === mine.variations![1].sku);
    expect(woo.writes.slice(writes)).toEqual([
      { method: 'POST', path: `products/${inWoo.id}/variations/batch`, body: { update: [{ id: variation.id, regular_price: '55.55', sale_price: '' }] } },
    ]);
    expect(variation.regular_price).toBe('55.55');
  });

  it('an order placed in WooCommerce reaches the webshop; its tracking comes back as Shipment Tracking meta and a customer note', async () => {
    const placed = woo.placeOrder([{ product_id: 799, variation_id: 732, quantity: 2 }]);
    const fetched = await hub.run('fetch', WC.id);
    expect(fetched.state).toBe('completed');
    expect(fetched.summary.fetchOrders).toMatchObject({ created: 1, unmatchedLines: 0 });
    expect((await hub.run('send', S.id)).summary.sendOrders).toMatchObject({ forwarded: 1, failed: 0 });
    const inShop = [...shop.orders.values()].find((o) => o.orderid === placed.number)!;
    expect(inShop).toBeDefined();
    inShop.status = 'shipped';
    inShop.shipments = [{ carrier: 'UPS', trackingNumber: '1Z999AA10123456784', labelUrl: '', date: '2026-03-01T09:00:00Z' }];
    expect((await hub.run('fetch', S.id)).summary.fetchOrders).toMatchObject({ changed: 1 });
    expect((await hub.run('send', WC.id)).summary.sendOrders).toMatchObject({ updated: 1, failed: 0 });
    const order = woo.orders.get(placed.id);
    expect(order.status).toBe('completed');
    expect(order.meta_data.find((m: any) => m.key === '_wc_shipment_tracking_items').value)
      .toEqual([expect.objectContaining({ tracking_provider: 'UPS', tracking_number: '1Z999AA10123456784' })]);
    expect(woo.notes.get(placed.id)).toEqual([expect.objectContaining({ customer_note: true, note: expect.stringMatching(/UPS: tracking number 1Z999AA10123456784/) })]);
    expect((await hub.run('fetch', WC.id)).summary.fetchOrders).toMatchObject({ changed: 0, created: 0 });
  });

  it('a rate limit is waited out; a revoked key and a broken site stop the job in plain words; it resumes once fixed', async () => {
    const count = async () => (await hub.api('GET', '/api/products?limit=1')).body.total;
    const before = await count();
    woo.setFaults({ status429: { count: 2, retryAfterSeconds: 0 } });
    expect((await hub.run('fetch', WC.id)).state).toBe('completed');

    woo.setFaults({ revoked: true });
    const refused = await hub.run('fetch', WC.id);
    expect(refused.state).toBe('failed');
    expect(refused.error).toMatch(/WooCommerce refused the consumer key \(HTTP 401: Sorry, you cannot list resources\.\)/);

    woo.setFaults({ phpError: 10 });
    const broken = await hub.run('fetch', WC.id);
    expect(broken.state).toBe('failed');
    expect(broken.error).toMatch(/WooCommerce is having problems \(HTTP 500\)/);

    woo.setFaults({});
    const resumed = await hub.run('fetch', WC.id);
    expect(resumed.state).toBe('completed');
    expect(resumed.summary.fetch).toMatchObject({ changed: 0, created: 0, complete: true });
    expect(await count()).toBe(before);
    const conn = (await hub.api('GET', `/api/connections/${WC.id}`)).body;
    expect(conn.equivalences.gone).toBeUndefined();
  });
});
