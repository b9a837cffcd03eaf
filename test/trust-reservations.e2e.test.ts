import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts, connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { demoOrder, demoProduct } from '../src/storefront/catalog.js';

const openUnits = async (hub: TestHub) => {
  const [{ n }] = await hub.running.hub.db.rows<{ n: number }>(sql`select coalesce(sum(quantity), 0)::int as n from reservations where released_at is null`);
  return n;
};
const stockOf = (shop: Storefront, sku: string) => {
  for (const p of shop.products.values()) for (const v of p.variations ?? []) if (v.sku === sku) return Number(v.availabilities?.[0]?.quantity);
  throw new Error(`no ${sku}`);
};

describe.each(DATABASES)('what reserves stock (%s)', (kind) => {
  let hub: TestHub;
  let web: Storefront;
  let W: any;
  const products = Array.from({ length: 12 }, (_, i) => demoProduct(i));
  // The shop's history: orders placed months ago, in every status (paid, pending, shipped, delivered, cancelled...).
  const history = Array.from({ length: 16 }, (_, k) => demoOrder(k, products));
  beforeAll(async () => {
    hub = await startTestHub(kind);
    web = await startStorefront({ key: 'trust-res-123456', products, orders: history, decrementStockOnOrder: true });
    W = await connectShop(hub, 'Webshop', web);
  });
  afterAll(async () => {
    await hub?.close();
    await web?.close();
  });
  const ordersOnly = async (id: string) => hub.waitJob((await hub.running.queue.enqueue('fetch', id, { scope: { entities: ['orders'] } })).id);

  it("holds nothing for a shop's own orders placed before its stock was read, nor for shipped or delivered ones", async () => {
    expect(new Set(history.map((o) => o.status)).size).toBeGreaterThan(2);
    const synced = await hub.run('sync', W.id);
    expect(synced.state).toBe('completed');
    expect(synced.summary.fetchOrders.created).toBe(16);
    expect(synced.summary.fetchOrders.reserved).toBe(0);
    expect(await openUnits(hub)).toBe(0);
    const conn = (await hub.api('GET', `/api/connections/${W.id}`)).body;
    expect(conn.pending.updates).toBe(0);
  });

  it("holds a new sale of the shop until the shop's next stock reading counts it, and never writes it twice", async () => {
    const p = products[0];
    const v = p.variations![0];
    const before = stockOf(web, v.sku!);
    web.placeOrder({
      orderid: 'W-NEW-1', status: 'paid', dateCreated: new Date().toISOString(), dateClosed: '',
      total: { amount: '20.00', currency: 'USD' },
      orderItems: [{ id: p._id, variation_id: v._id, quantity: '2', unitPrice: '10', currencyId: 'USD' }],
      buyer: { id: '1', email: 'a@example.com', phone: '', firstName: 'A', lastName: 'B' },
    });
    expect(stockOf(web, v.sku!)).toBe(before - 2);
    // Orders only: the sale is held while the hub's stock is still the shop's last reading.
    expect((await ordersOnly(W.id)).summary.fetchOrders).toMatchObject({ created: 1, reserved: 2 });
    expect(await openUnits(hub)).toBe(2);
    const productId = (await allProducts(hub)).find((x) => x.sku === p.sku).id;
    const held = (await hub.api('GET', `/api/products/${productId}`)).body.reservations;
    expect(held.entries[0]).toMatchObject({ orderNumber: 'W-NEW-1', quantity: 2, state: 'open', landedConnectionId: W.id });
    expect(held.open).toEqual({ [v.sku!]: 2 });
    // The shop's next stock reading counts the sale: the hold ends, the master says so, nothing to write.
    const fetched = await hub.run('fetch', W.id);
    expect(fetched.summary.fetchOrders.reserved).toBe(0);
    const detail = (await hub.api('GET', `/api/products/${productId}`)).body;
    expect(detail.reservations.entries[0]).toMatchObject({ orderNumber: 'W-NEW-1', state: 'released', releaseReason: 'stock_reported' });
    expect(await openUnits(hub)).toBe(0);
    expect(detail.variations[0].availabilities[0].quantity).toBe(before - 2);
    const sent = await hub.run('send', W.id);
    expect(sent.summary.send).toMatchObject({ updated: 0, created: 0 });
    expect(stockOf(web, v.sku!)).toBe(before - 2);
  });

  it('a hold that no stock reading will ever end (no fulfiller, the shop does not report stock) expires with a notice', async () => {
    const res = await hub.api('PATCH', `/api/connections/${W.id}`, { settings: { fields: { stock: { detect: false } } } });
    expect(res.status).toBe(200);
    const p = products[1];
    const v = p.variations![0];
    web.placeOrder({
      orderid: 'W-NEW-2', status: 'pending', dateCreated: new Date().toISOString(), dateClosed: '',
      total: { amount: '10.00', currency: 'USD' },
      orderItems: [{ id: p._id, variation_id: v._id, quantity: '1', unitPrice: '10', currencyId: 'USD' }],
      buyer: { id: '2', email: 'c@example.com', phone: '', firstName: 'C', lastName: 'D' },
    });
    expect((await ordersOnly(W.id)).summary.fetchOrders).toMatchObject({ created: 1, reserved: 1 });
    expect(await openUnits(hub)).toBe(1);
    // A product fetch does not end it: the shop's stock does not flow into the hub.
    expect((await hub.run('fetch', W.id)).state).toBe('completed');
    expect(await openUnits(hub)).toBe(1);
    // Three days later, the next order fetch ends it.
    await hub.running.hub.db.rows(sql`update reservations set created_at = created_at - interval '3 days' where released_at is null`);
    const again = await ordersOnly(W.id);
    expect(again.summary.fetchOrders.released).toBe(1);
    expect(await openUnits(hub)).toBe(0);
    const issues = (await hub.api('GET', `/api/issues?connectionId=${W.id}`)).body.items;
    const notice = issues.find((i: any) => i.code === 'reservation_expired');
    expect(notice).toBeTruthy();
    expect(notice.message).toContain('W-NEW-2');
  });
});
