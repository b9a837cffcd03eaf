import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop, until } from './helpers/shops.js';
import { demoProduct } from '../src/storefront/catalog.js';
import { startStorefront, type Storefront, type StoreProduct } from '../src/storefront/server.js';
import { signCustomWebhook } from '../src/connectors/custom/index.js';

/** Posts raw bytes to the hook, as a platform does. */
async function post(hub: TestHub, connectionId: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${hub.url}/hooks/${connectionId}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const signed = (key: string, body: string) => ({ 'x-channelsync-signature': signCustomWebhook(key, body) });

function stockOf(shop: Storefront, sku: string): number {
  for (const p of shop.products.values()) {
    const v = (p.variations ?? []).find((x) => x.sku === sku);
    if (v) return (v.availabilities ?? []).reduce((n, a) => n + Number(a.quantity), 0);
  }
  throw new Error(`${sku} is not in the store`);
}

function catalog(n: number): StoreProduct[] {
  return Array.from({ length: n }, (_, i) => {
    const p = demoProduct(i);
    p.variations!.forEach((v, j) => { v.availabilities = [{ tag: 'default', quantity: String(10 + j) }]; });
    return p;
  });
}

describe.each(DATABASES)('webhooks: verification and duplicates (%s)', (kind) => {
  let hub: TestHub;
  let shop: Storefront;
  let C: { id: string };
  const count = async (table: 'webhook_events' | 'jobs') =>
    (await hub.running.hub.db.rows<{ n: number }>(sql`select count(*)::int as n from ${sql.raw(table)} where connection_id = ${C.id}`))[0].n;

  beforeAll(async () => {
    hub = await startTestHub(kind, { schedule: false });
    shop = await startStorefront({ key: 'hook-shop-123456', products: 5, orders: 2 });
    C = await connectShop(hub, 'Hooked', shop);
  });
  afterAll(async () => {
    await hub?.close();
    await shop?.close();
  });

  it('answers 401 and changes nothing when the request is not from the store', async () => {
    const body = JSON.stringify({ id: 'evt-1', type: 'stock.changed', ids: ['100000'] });
    const attempts: Record<string, string>[] = [
      {},
      { 'x-channelsync-signature': 'sha256=' + '0'.repeat(64) },
      signed('another-shops-key', body),
      // Signed, but the body was changed on the way.
      { 'x-channelsync-signature': signCustomWebhook(shop.key, body.replace('100000', '100001')) },
      { 'x-channelsync-key': 'not-the-key-of-this-shop' },
    ];
    for (const headers of attempts) {
      const res = await post(hub, C.id, body, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body.error.code).toBe('CS_WEBHOOK_UNVERIFIED');
    }
    expect(await count('webhook_events')).toBe(0);
    expect(await count('jobs')).toBe(0);
    expect((await post(hub, '00000000-0000-0000-0000-000000000000', body, signed(shop.key, body))).status).toBe(404);
    // Outside /api: no API token is asked for, and none is accepted instead of the signature.
    const withToken = await post(hub, C.id, body, { authorization: 'Bearer whatever' });
    expect(withToken.status).toBe(401);
  });

  it('names what is wrong in a verified event that cannot be read', async () => {
    const cases: [unknown, string][] = [
      [{ type: 'stock.changed', ids: ['1'] }, 'id'],
      [{ id: 'e', type: 'price.exploded', ids: ['1'] }, 'type'],
      [{ id: 'e', type: 'order.created', ids: [] }, 'ids'],
      [{ id: 'e', type: 'order.created', ids: [{}] }, 'ids.0'],
      [{ events: [{ id: 'a', type: 'order.created', ids: ['1'] }, { id: 'b', type: 'order.created' }] }, 'events.1.ids'],
    ];
    for (const [payload, field] of cases) {
      const body = JSON.stringify(payload);
      const res = await post(hub, C.id, body, signed(shop.key, body));
      expect(res.status, body).toBe(400);
      expect(res.body.error.field).toBe(field);
    }
    const notJson = await post(hub, C.id, '{"id":', signed(shop.key, '{"id":'));
    expect(notJson.body.error).toMatchObject({ field: 'body', message: expect.stringMatching(/not valid JSON/) });
    expect(await count('webhook_events')).toBe(0);
  });

  it('processes the same event once, however often it is delivered', async () => {
    const orderId = [...shop.orders.keys()][0];
    const body = JSON.stringify({ id: 'evt-order-1', type: 'order.created', ids: [orderId] });
    const first = await post(hub, C.id, body, signed(shop.key, body));
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ received: 1, duplicates: 0, jobId: expect.any(String) });
    const job = await hub.waitJob(first.body.jobId);
    expect(job).toMatchObject({ state: 'completed', type: 'fetch', origin: 'webhook' });
    // Just what the event named: one order, no products, and the clocks did not move.
    expect(job.summary.webhooks).toEqual({ events: 1 });
    expect(job.summary.fetchOrders).toMatchObject({ scanned: 1, created: 1 });
    expect(job.summary.fetch).toBeUndefined();
    expect((await hub.api('GET', `/api/connections/${C.id}`)).body.clocks).toEqual({});

    // The store delivers it again (it missed our answer), also with the key instead of a signature.
    const again = await post(hub, C.id, body, signed(shop.key, body));
    expect(again).toMatchObject({ status: 200, body: { received: 1, duplicates: 1, jobId: null } });
    const byKey = await post(hub, C.id, body, { 'x-channelsync-key': shop.key });
    expect(byKey).toMatchObject({ status: 200, body: { duplicates: 1, jobId: null } });
    // Delivered twice at once.
    const twice = await Promise.all([0, 1].map(() => post(hub, C.id, body.replace('evt-order-1', 'evt-order-2'), signed(shop.key, body.replace('evt-order-1', 'evt-order-2')))));
    expect(twice.map((r) => r.body.duplicates).sort()).toEqual([0, 1]);
    expect(await count('webhook_events')).toBe(2);
    const second = await hub.waitJob(twice.find((r) => r.body.jobId)!.body.jobId);
    // Read again (its lines are looked at again: their products are not in the hub), not created again.
    expect(second.summary.fetchOrders).toMatchObject({ scanned: 1, created: 0, changed: 0 });
    expect((await hub.api('GET', '/api/orders')).body.total).toBe(1);
    const open = await hub.running.hub.db.rows(sql`select 1 from webhook_events where connection_id = ${C.id} and processed_at is null`);
    expect(open).toEqual([]);
  });

  it('keeps the events of a paused connection for later and starts nothing', async () => {
    await hub.api('POST', `/api/connections/${C.id}/pause`);
    const body = JSON.stringify({ id: 'evt-paused', type: 'product.updated', ids: [[...shop.products.keys()][0]] });
    const res = await post(hub, C.id, body, signed(shop.key, body));
    expect(res).toMatchObject({ status: 200, body: { received: 1, duplicates: 0, jobId: null } });
    await hub.api('POST', `/api/connections/${C.id}/resume`);
    // The next push takes the kept event along.
    const next = JSON.stringify({ id: 'evt-resumed', type: 'stock.changed', ids: [[...shop.products.keys()][1]] });
    const job = await hub.waitJob((await post(hub, C.id, next, signed(shop.key, next))).body.jobId);
    expect(job.summary.webhooks).toEqual({ events: 2 });
    expect(job.summary.fetch).toMatchObject({ scanned: 2, created: 2 });
  });
});

describe.each(DATABASES)('webhooks end to end: a sale on one marketplace lowers the stock on the other at once (%s)', (kind) => {
  let hub: TestHub;
  let w: Storefront;
  let m1: Storefront;
  let m2: Storefront;
  let W: { id: string };
  let M1: { id: string };
  let M2: { id: string };
  const products = catalog(6);
  const sku = products[0].variations![0].sku!; // 10 in stock

  beforeAll(async () => {
    // Schedules off: only the webhooks move anything.
    hub = await startTestHub(kind, { schedule: false });
    w = await startStorefront({ key: 'e2e-webshop-1234', products, decrementStockOnOrder: true });
    m1 = await startStorefront({ key: 'e2e-market1-1234', products: [] });
    m2 = await startStorefront({ key: 'e2e-market2-1234', products: [] });
    W = await connectShop(hub, 'Webshop', w, { settings: { absorb: { orders: true } } });
    M1 = await connectShop(hub, 'Market 1', m1, { settings: { absorb: { products: true } } });
    M2 = await connectShop(hub, 'Market 2', m2, { settings: { absorb: { products: true } } });
    for (const [type, id] of [['fetch', W.id], ['send', M1.id], ['send', M2.id]] as const) {
      expect((await hub.run(type, id)).state).toBe('completed');
    }
    expect(stockOf(m2, sku)).toBe(10);
    w.setWebhook(`${hub.url}/hooks/${W.id}`);
    m1.setWebhook(`${hub.url}/hooks/${M1.id}`);
    m2.setWebhook(`${hub.url}/hooks/${M2.id}`);
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all([w?.close(), m1?.close(), m2?.close()]);
  });

  const idsOn = (shop: Storefront) => {
    for (const p of shop.products.values()) {
      const v = (p.variations ?? []).find((x) => x.sku === sku);
      if (v) return { id: p._id, variation_id: String(v._id) };
    }
    throw new Error('not there');
  };
  const settled = async () => {
    await Promise.all([w, m1, m2].map((s) => s.webhooksSettled()));
    const busy = await hub.running.hub.db.rows(sql`select 1 from jobs where state in ('queued', 'running')`);
    return busy.length === 0;
  };

  it('a stock change in the webshop reaches both marketplaces, reading just that product', async () => {
    const productId = [...w.products.keys()][0];
    w.setStock(productId, 0, 7);
    await until('the new stock on both marketplaces', () => stockOf(m1, sku) === 7 && stockOf(m2, sku) === 7);
    await until('everything to settle', settled);
    const jobs = (await hub.api('GET', `/api/connections/${W.id}/jobs`)).body.items as any[];
    const hook = jobs.find((j) => j.origin === 'webhook');
    expect(hook.summary.fetch).toMatchObject({ scanned: 1, changed: 1 });
    expect(hook.summary.fetchOrders).toBeUndefined();
    const sends = (await hub.api('GET', `/api/connections/${M2.id}/jobs`)).body.items.filter((j: any) => j.origin === 'follow-up');
    expect(sends.length).toBeGreaterThanOrEqual(1);
    // Written once, whichever follow-up send wrote it (a second one may find nothing left to write).
    expect(sends.reduce((n: number, j: any) => n + j.summary.send.updated, 0)).toBe(1);
  });

  it('an order on marketplace 1 is forwarded to the webshop once and lowers the stock on marketplace 2', async () => {
    const before = stockOf(w, sku);
    m1.placeOrder({
      orderid: 'M1-5001', status: 'payed', dateCreated: new Date().toISOString(), dateClosed: '',
      total: { amount: 70, currency: 'USD' },
      orderItems: [{ ...idsOn(m1), quantity: 2, unitPrice: 35, currencyId: 'USD' }],
      buyer: { id: 'b1', email: 'buyer@example.com', firstName: 'Ann', lastName: 'Lee' },
    });
    await until('the sale on marketplace 2', () => stockOf(m2, sku) === before - 2);
    await until('the order in the webshop', () => [...w.orders.values()].some((o) => o.orderid === 'M1-5001'));
    await until('everything to settle', settled);
    // The webshop took the sale once, told the hub by webhook, and the hub counted it once.
    expect([...w.orders.values()].filter((o) => o.orderid === 'M1-5001')).toHaveLength(1);
    expect(w.requests.filter((r) => r.path === '/api/order')).toHaveLength(1);
    expect(stockOf(w, sku)).toBe(before - 2);
    expect(stockOf(m2, sku)).toBe(before - 2);
    expect(stockOf(m1, sku)).toBe(before - 2);
    const hook = (await hub.api('GET', `/api/connections/${M1.id}/jobs`)).body.items.find((j: any) => j.origin === 'webhook' && j.summary?.fetchOrders);
    expect(hook.summary.fetchOrders).toMatchObject({ scanned: 1, created: 1, reserved: 2 });
    const orders = (await hub.api('GET', '/api/orders')).body;
    expect(orders.total).toBe(1);
  });
  it('a product new in the webshop is created on both marketplaces, which absorb it', async () => {
    // Added in the shop's back office: the hub hears of it by webhook only.
    const p = { ...demoProduct(40), _id: '990001' } as StoreProduct;
    w.products.set(p._id!, p);
    await w.notify('product.created', [p._id!]);
    const on = (shop: Storefront) => [...shop.products.values()].filter((x) => x.sku === p.sku).length;
    await until('the new product on both marketplaces', () => on(m1) === 1 && on(m2) === 1);
    await until('everything to settle', settled);
    // The fetch stored no create for them (src/engine/unplanned.ts): each one's follow-up send did, and created it once.
    for (const M of [M1, M2]) {
      const sends = (await hub.api('GET', `/api/connections/${M.id}/jobs`)).body.items.filter((j: any) => j.origin === 'follow-up');
      expect(sends.some((j: any) => j.summary.send.created === 1)).toBe(true);
    }
    expect(on(m1)).toBe(1);
    expect(on(m2)).toBe(1);
  });
});
