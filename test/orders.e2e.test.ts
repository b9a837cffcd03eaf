import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { demoProduct } from '../src/storefront/catalog.js';
import { startStorefront, type StoreOrder, type Storefront, type StoreProduct } from '../src/storefront/server.js';

const FAST = { retryBaseMs: 5, retries: 3 };

async function connect(hub: TestHub, name: string, shop: Storefront, settings: unknown = {}) {
  const res = await hub.api('POST', '/api/connections', {
    name, kind: 'custom', config: { productsUrl: shop.productsUrl, ordersUrl: shop.ordersUrl, key: shop.key, ...FAST }, settings,
  });
  if (res.status !== 201) throw new Error(`connect ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string };
}

/** The store's own ids (product `_id`, variation `_id`) of a variation SKU. */
function idsOf(shop: Storefront, sku: string): { id: string; variation_id: string } {
  for (const p of shop.products.values()) {
    const v = (p.variations ?? []).find((x) => x.sku === sku);
    if (v) return { id: p._id, variation_id: String(v._id) };
  }
  throw new Error(`${sku} is not in the store`);
}

function stockOf(shop: Storefront, sku: string): number {
  for (const p of shop.products.values()) {
    const v = (p.variations ?? []).find((x) => x.sku === sku);
    if (v) return (v.availabilities ?? []).reduce((n, a) => n + Number(a.quantity), 0);
  }
  throw new Error(`${sku} is not in the store`);
}

function ordersNumbered(shop: Storefront, number: string): StoreOrder[] {
  return [...shop.orders.values()].filter((o) => o.orderid === number);
}

/** A catalog whose variations all have stock to sell. */
function catalog(n: number): StoreProduct[] {
  return Array.from({ length: n }, (_, i) => {
    const p = demoProduct(i);
    p.variations!.forEach((v, j) => { v.availabilities = [{ tag: 'default', quantity: String(10 + j) }]; });
    return p;
  });
}

async function ok(hub: TestHub, type: 'fetch' | 'send' | 'sync', id: string) {
  const job = await hub.run(type, id);
  expect(job.error, `${type}: ${job.error}`).toBeNull();
  expect(job.state).toBe('completed');
  return job.summary;
}

describe.each(DATABASES)('sales orders across a webshop and two marketplaces (%s)', (kind) => {
  let hub: TestHub;
  let w: Storefront;
  let m1: Storefront;
  let m2: Storefront;
  let W: { id: string };
  let M1: { id: string };
  let M2: { id: string };
  const products = catalog(6);
  const skuA = products[0].variations![0].sku!; // 10 in stock
  const skuB = products[1].variations![1].sku!; // 11 in stock
  const skuC = products[2].variations![0].sku!; // 10 in stock

  beforeAll(async () => {
    w = await startStorefront({ key: 'key-webshop-123', products, decrementStockOnOrder: true });
    m1 = await startStorefront({ key: 'key-market1-123', products: [] });
    m2 = await startStorefront({ key: 'key-market2-123', products: [] });
    hub = await startTestHub(kind);
    W = await connect(hub, 'Webshop', w, { absorb: { orders: true } });
    // Marketplaces receive the catalog; M1 may not take notes from the webshop.
    M1 = await connect(hub, 'Market 1', m1, { absorb: { products: true }, fields: { notes: { write: false } } });
    M2 = await connect(hub, 'Market 2', m2, { absorb: { products: true }, stock: { buffer: 1 } });
    await ok(hub, 'fetch', W.id);
    await ok(hub, 'send', M1.id);
    await ok(hub, 'send', M2.id);
    expect(m1.products.size).toBe(6);
    expect(stockOf(m2, skuA)).toBe(9); // buffer 1
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all([w?.close(), m1?.close(), m2?.close()]);
  });

  let orderId: string;
  let productA: string;

  it('imports an order from M1 into the universal order, normalising what the store sent', async () => {
    m1.placeOrder({
      orderid: 'M1-1001', status: 'payed', dateCreated: '', dateClosed: '',
      total: { amount: '70.00', currency: 'MX' },
      orderItems: [{ ...idsOf(m1, skuA), quantity: '2', unitPrice: '35', currencyId: 'MX' }],
      buyer: { id: '4578889', email: 'testbuyer@example.com', phone: '88888888', firstName: 'John', lastName: 'Doe' },
      shippingAddress: { name: 'John Doe', street: 'Av. Reforma 1', city: 'CDMX', zip: '06600', country: 'MX' },
      messages: ['Please gift wrap'],
    });
    const summary = await ok(hub, 'fetch', M1.id);
    expect(summary.fetchOrders).toMatchObject({ scanned: 1, created: 1, reserved: 2, forwardsPlanned: 1, unmatchedLines: 0 });

    const list = await hub.api('GET', '/api/orders');
    expect(list.body.total).toBe(1);
    orderId = list.body.items[0].id;
    const order = (await hub.api('GET', `/api/orders/${orderId}`)).body;
    expect(order).toMatchObject({
      number: 'M1-1001', status: 'paid', dateCreated: null, currency: 'MXN', sourceConnectionId: M1.id,
      totals: { total: 70 },
      lines: [{ sku: skuA, quantity: 2, unitPrice: 35 }],
      buyer: { email: 'testbuyer@example.com', firstName: 'John' },
      shippingAddress: { street: 'Av. Reforma 1', postalCode: '06600', country: 'MX' },
      messages: [{ text: 'Please gift wrap' }],
    });
    const codes = order.issues.map((i: any) => i.code).sort();
    expect(codes).toEqual(['currency_normalised', 'date_missing', 'numbers_as_text']);
    expect(order.issues.every((i: any) => i.severity === 'notice')).toBe(true);
    const onW = order.equivalences.find((e: any) => e.connectionId === W.id);
    expect(onW).toMatchObject({ status: 'pending_insert', pending: { op: 'insert' } });

    productA = order.lines[0].productRecordId;
    const product = (await hub.api('GET', `/api/products/${productA}`)).body;
    expect(product.reservations.open).toEqual({ [skuA]: 2 });
    expect(product.reservations.entries).toMatchObject([{ orderId, orderNumber: 'M1-1001', quantity: 2, state: 'open' }]);
  });

  it('writes the lowered stock to M2 and M1 at their next send, before the webshop knows', async () => {
    await ok(hub, 'send', M2.id);
    await ok(hub, 'send', M1.id);
    expect(stockOf(m2, skuA)).toBe(7); // 10 - 2 reserved - 1 buffer
    expect(stockOf(m1, skuA)).toBe(8);
    expect(stockOf(w, skuA)).toBe(10); // the webshop is never written a reservation
  });

  it('forwards the order to the webshop exactly once, with the webshop’s own ids', async () => {
    const summary = await ok(hub, 'send', W.id);
    expect(summary.sendOrders).toMatchObject({ forwarded: 1, failed: 0 });
    const created = ordersNumbered(w, 'M1-1001');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ status: 'payed', orderItems: [{ ...idsOf(w, skuA), sku: skuA, quantity: 2 }] });
    expect(stockOf(w, skuA)).toBe(8); // the webshop took the sale itself

    expect((await ok(hub, 'send', W.id)).sendOrders.forwarded).toBe(0);
    expect(ordersNumbered(w, 'M1-1001')).toHaveLength(1);
  });

  it('recognises the forwarded order on the webshop scan and counts the sale once', async () => {
    const summary = await ok(hub, 'fetch', W.id);
    expect(summary.fetch.changed).toBe(1); // the webshop's stock went down by the sale
    expect(summary.fetchOrders).toMatchObject({ scanned: 1, created: 0, unchanged: 1 });
    const list = await hub.api('GET', '/api/orders');
    expect(list.body.total).toBe(1);
    const order = (await hub.api('GET', `/api/orders/${orderId}`)).body;
    expect(order.sourceConnectionId).toBe(M1.id);
    expect(order.equivalences.find((e: any) => e.connectionId === W.id)).toMatchObject({ status: 'live', externalId: created(w) });

    const product = (await hub.api('GET', `/api/products/${productA}`)).body;
    expect(product.reservations.open).toEqual({});
    expect(product.reservations.entries[0]).toMatchObject({ state: 'released', releaseReason: 'stock_reported', landedConnectionId: W.id });
    // Hub stock 8, nothing reserved: M2 already shows 8 - 1 buffer, so there is nothing to write.
    expect((await hub.api('GET', `/api/connections/${M2.id}`)).body.pending.total).toBe(0);
    await ok(hub, 'send', M2.id);
    expect(stockOf(m2, skuA)).toBe(7);
    expect(stockOf(m1, skuA)).toBe(8);
  });

  it('writes status, shipment and tracking from the webshop back to M1, and only those fields', async () => {
    const inW = ordersNumbered(w, 'M1-1001')[0];
    inW.status = 'shipped';
    inW.shipments = [{ carrier: 'DHL', trackingNumber: 'JD014600006281', labelUrl: 'https://labels.example.com/1.pdf', date: '2026-02-03T10:00:00Z' }];
    inW.notes = 'Packed by Ana';
    const summary = await ok(hub, 'fetch', W.id);
    expect(summary.fetchOrders.changed).toBe(1);
    const order = (await hub.api('GET', `/api/orders/${orderId}`)).body;
    expect(order).toMatchObject({ status: 'shipped', notes: 'Packed by Ana', shipments: [{ carrier: 'DHL', trackingNumber: 'JD014600006281' }] });
    const onM1 = order.equivalences.find((e: any) => e.connectionId === M1.id);
    expect(onM1.status).toBe('pending_update');
    expect(onM1.pending.changes.map((c: any) => c.path).sort()).toEqual(['shipments', 'status']);

    const before = m1.requests.length;
    expect((await ok(hub, 'send', M1.id)).sendOrders.updated).toBe(1);
    const writes = m1.requests.slice(before);
    expect(writes).toHaveLength(1);
    expect(writes[0].path).toBe(`/api/order/${ordersNumbered(m1, 'M1-1001')[0]._id}`);
    expect(writes[0].body).toEqual({
      status: 'shipped',
      shipments: [{ carrier: 'DHL', trackingNumber: 'JD014600006281', labelUrl: 'https://labels.example.com/1.pdf', date: '2026-02-03T10:00:00.000Z' }],
    });
    expect(ordersNumbered(m1, 'M1-1001')[0]).toMatchObject({ status: 'shipped', messages: ['Please gift wrap'] });
    expect(ordersNumbered(m1, 'M1-1001')[0].notes).toBeUndefined();
    // Nothing comes back as a change: the echo of what was written is the acknowledged state.
    expect((await ok(hub, 'fetch', M1.id)).fetchOrders).toMatchObject({ unchanged: 1, changed: 0, created: 0 });
    expect((await ok(hub, 'send', W.id)).sendOrders).toMatchObject({ forwarded: 0, updated: 0 });
  });

  it('releases the reservation of an order cancelled before it reached the webshop, and never forwards it', async () => {
    m1.placeOrder({ orderid: 'M1-1002', status: 'payed', total: { amount: 40, currency: 'USD' }, orderItems: [{ ...idsOf(m1, skuB), quantity: 3, unitPrice: 40 }] });
    await ok(hub, 'fetch', M1.id);
    await ok(hub, 'send', M2.id);
    expect(stockOf(m2, skuB)).toBe(7); // 11 - 3 - 1 buffer
    const id = (await hub.api('GET', '/api/orders?limit=10')).body.items.find((o: any) => o.number === 'M1-1002').id;

    ordersNumbered(m1, 'M1-1002')[0].status = 'cancelled';
    const summary = await ok(hub, 'fetch', M1.id);
    expect(summary.fetchOrders).toMatchObject({ changed: 1, released: 1 });
    const product = (await hub.api('GET', `/api/products/${(await hub.api('GET', `/api/orders/${id}`)).body.lines[0].productRecordId}`)).body;
    expect(product.reservations.entries[0]).toMatchObject({ orderNumber: 'M1-1002', state: 'released', releaseReason: 'order cancelled' });
    await ok(hub, 'send', M2.id);
    expect(stockOf(m2, skuB)).toBe(10);
    expect((await ok(hub, 'send', W.id)).sendOrders).toMatchObject({ forwarded: 0, dropped: 1 });
    expect(ordersNumbered(w, 'M1-1002')).toHaveLength(0);
    expect(stockOf(w, skuB)).toBe(11);
  });

  it('passes a cancellation on M1 of a forwarded order to the webshop', async () => {
    m1.placeOrder({ orderid: 'M1-1003', status: 'payed', total: { amount: 10, currency: 'USD' }, orderItems: [{ ...idsOf(m1, skuC), quantity: 1, unitPrice: 10 }] });
    await ok(hub, 'fetch', M1.id);
    await ok(hub, 'send', W.id);
    expect(ordersNumbered(w, 'M1-1003')).toMatchObject([{ status: 'payed' }]);
    ordersNumbered(m1, 'M1-1003')[0].status = 'canceled';
    expect((await ok(hub, 'fetch', M1.id)).fetchOrders.released).toBe(1);
    expect((await ok(hub, 'send', W.id)).sendOrders.updated).toBe(1);
    expect(ordersNumbered(w, 'M1-1003')).toMatchObject([{ status: 'cancelled' }]);
    // The webshop took 1 when the order was created and (this reference store) does not restock on cancel.
    expect(stockOf(w, skuC)).toBe(9);
  });

  it('imports an order with an unknown line, holds it back, and forwards it when asked to', async () => {
    m1.placeOrder({
      orderid: 'M1-1004', status: 'payed', total: { amount: 55, currency: 'USD' },
      orderItems: [
        { ...idsOf(m1, skuA), quantity: 1, unitPrice: 35 },
        { id: 'no-such-product', variation_id: '0', sku: 'GHOST-1', title: 'Mystery box', quantity: 1, unitPrice: 20 },
      ],
    });
    const summary = await ok(hub, 'fetch', M1.id);
    expect(summary.fetchOrders).toMatchObject({ created: 1, unmatchedLines: 1, reserved: 1 });
    const id = (await hub.api('GET', '/api/orders?limit=10')).body.items.find((o: any) => o.number === 'M1-1004').id;
    let order = (await hub.api('GET', `/api/orders/${id}`)).body;
    expect(order.lines).toHaveLength(2);
    expect(order.lines[1]).toMatchObject({ sku: 'GHOST-1', title: 'Mystery box', quantity: 1 });
    expect(order.lines[1].productRecordId).toBeUndefined();
    const lineIssue = order.issues.find((i: any) => i.code === 'order_line_unmatched');
    expect(lineIssue).toMatchObject({ severity: 'error', connectionId: M1.id });
    expect(lineIssue.message).toContain('line 2');
    expect(lineIssue.message).toContain('no-such-product');

    expect((await ok(hub, 'send', W.id)).sendOrders).toMatchObject({ forwarded: 0, held: 1 });
    expect(ordersNumbered(w, 'M1-1004')).toHaveLength(0);
    order = (await hub.api('GET', `/api/orders/${id}`)).body;
    expect(order.issues.map((i: any) => i.code)).toContain('order_held');

    const openapi = (await hub.api('GET', '/api/openapi.json')).body;
    expect(Object.keys(openapi.paths)).toContain('/api/orders/{id}/forward');
    const bad = await hub.api('POST', `/api/orders/${id}/forward`, { connectionId: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('connectionId');
    expect((await hub.api('POST', '/api/orders/00000000-0000-0000-0000-000000000000/forward', {})).status).toBe(404);

    const forced = await hub.api('POST', `/api/orders/${id}/forward`, {});
    expect(forced.status).toBe(202);
    expect(forced.body.forwards).toMatchObject([{ connectionId: W.id, state: 'queued' }]);
    const job = await hub.waitJob(forced.body.forwards[0].jobId);
    expect(job.summary.sendOrders.forwarded).toBe(1);
    const inW = ordersNumbered(w, 'M1-1004');
    expect(inW).toHaveLength(1);
    expect(inW[0].orderItems).toMatchObject([
      { ...idsOf(w, skuA), sku: skuA, quantity: 1 },
      { id: '', sku: 'GHOST-1', title: 'Mystery box', quantity: 1 },
    ]);
    order = (await hub.api('GET', `/api/orders/${id}`)).body;
    expect(order.issues.map((i: any) => i.code)).not.toContain('order_held');
    // Forwarding again is refused by the dedupe key: it is already there.
    const again = await hub.api('POST', `/api/orders/${id}/forward`, {});
    expect(again.body.forwards).toMatchObject([{ state: 'forwarded', jobId: null }]);
    expect(ordersNumbered(w, 'M1-1004')).toHaveLength(1);
  });

  it('matches a held line once its product reaches the hub, then forwards the order', async () => {
    m1.placeOrder({
      orderid: 'M1-1007', status: 'payed', total: { amount: 25, currency: 'USD' },
      orderItems: [{ id: 'old-listing-9', variation_id: '0', sku: 'NEW-SKU-1', quantity: 2, unitPrice: 12.5 }],
    });
    // M1-1004's ghost line is looked at again too, and is still unmatched.
    expect((await ok(hub, 'fetch', M1.id)).fetchOrders).toMatchObject({ created: 1, unmatchedLines: 2, rematched: 1, reserved: 0 });
    expect((await ok(hub, 'send', W.id)).sendOrders).toMatchObject({ forwarded: 0, held: 1 });
    // The merchant adds the product to the webshop; the hub reads it; the next marketplace fetch matches the line.
    const fresh = demoProduct(50);
    fresh.sku = 'NEW-PRODUCT-1';
    fresh.variations = [{ ...fresh.variations![0], _id: undefined, sku: 'NEW-SKU-1', availabilities: [{ tag: 'default', quantity: '6' }] }];
    w.products.set(fresh._id, fresh);
    await ok(hub, 'fetch', W.id);
    const again = await ok(hub, 'fetch', M1.id);
    expect(again.fetchOrders).toMatchObject({ changed: 0, rematched: 2, created: 0, unmatchedLines: 1, reserved: 2 });
    const id = (await hub.api('GET', '/api/orders?limit=100')).body.items.find((o: any) => o.number === 'M1-1007').id;
    const order = (await hub.api('GET', `/api/orders/${id}`)).body;
    expect(order.lines[0]).toMatchObject({ sku: 'NEW-SKU-1', productRecordId: expect.any(String) });
    expect(order.issues.map((i: any) => i.code)).not.toContain('order_line_unmatched');
    expect((await ok(hub, 'send', W.id)).sendOrders).toMatchObject({ forwarded: 1, held: 0 });
    const sent = (await hub.api('GET', `/api/orders/${id}`)).body;
    expect(sent.issues.filter((i: any) => i.severity === 'error')).toEqual([]);
    expect(ordersNumbered(w, 'M1-1007')).toMatchObject([{ orderItems: [{ id: fresh._id, variation_id: '0', sku: 'NEW-SKU-1', quantity: 2 }] }]);
    expect(stockOf(w, 'NEW-SKU-1')).toBe(4);
  });

  it('never creates an order twice in the webshop when the answer to the create is lost', async () => {
    m1.placeOrder({ orderid: 'M1-1005', status: 'payed', total: { amount: 35, currency: 'USD' }, orderItems: [{ ...idsOf(m1, skuA), quantity: 1, unitPrice: 35 }] });
    await ok(hub, 'fetch', M1.id);
    w.setFaults({ failCreateAfterStore: 1 });
    const first = await ok(hub, 'send', W.id);
    expect(first.sendOrders).toMatchObject({ forwarded: 0, failed: 1 });
    expect(ordersNumbered(w, 'M1-1005')).toHaveLength(1); // it did land
    const second = await ok(hub, 'send', W.id);
    expect(second.sendOrders).toMatchObject({ forwarded: 0, recovered: 1 });
    expect(ordersNumbered(w, 'M1-1005')).toHaveLength(1);
    const id = (await hub.api('GET', '/api/orders?limit=10')).body.items.find((o: any) => o.number === 'M1-1005').id;
    const order = (await hub.api('GET', `/api/orders/${id}`)).body;
    expect(order.equivalences.find((e: any) => e.connectionId === W.id)).toMatchObject({
      status: 'live', externalId: ordersNumbered(w, 'M1-1005')[0]._id,
    });
    expect(order.issues.map((i: any) => i.code)).toContain('create_recovered');
    // Concurrent forward requests and sends: still one.
    await Promise.all([
      hub.api('POST', `/api/orders/${id}/forward`, {}),
      hub.api('POST', `/api/orders/${id}/forward`, {}),
      hub.run('send', W.id),
    ]);
    expect(ordersNumbered(w, 'M1-1005')).toHaveLength(1);
    expect((await hub.api('GET', '/api/orders?limit=100')).body.total).toBe(6);
  });

  it('binds a forward whose answer was lost when the webshop scan sees it first (echo guard by order number)', async () => {
    m1.placeOrder({ orderid: 'M1-1006', status: 'payed', total: { amount: 10, currency: 'USD' }, orderItems: [{ ...idsOf(m1, skuC), quantity: 1, unitPrice: 10 }] });
    await ok(hub, 'fetch', M1.id);
    w.setFaults({ failCreateAfterStore: 1 });
    expect((await ok(hub, 'send', W.id)).sendOrders).toMatchObject({ forwarded: 0, failed: 1 });
    const summary = await ok(hub, 'fetch', W.id);
    expect(summary.fetchOrders).toMatchObject({ created: 0, echoes: 1 });
    const id = (await hub.api('GET', '/api/orders?limit=100')).body.items.find((o: any) => o.number === 'M1-1006').id;
    const order = (await hub.api('GET', `/api/orders/${id}`)).body;
    expect(order.sourceConnectionId).toBe(M1.id);
    expect(order.equivalences.find((e: any) => e.connectionId === W.id)).toMatchObject({
      status: 'live', externalId: ordersNumbered(w, 'M1-1006')[0]._id, pending: null,
    });
    expect(order.issues.filter((i: any) => i.severity === 'error')).toEqual([]);
    expect((await ok(hub, 'send', W.id)).sendOrders).toMatchObject({ forwarded: 0, recovered: 0, failed: 0 });
    expect(ordersNumbered(w, 'M1-1006')).toHaveLength(1);
    expect((await hub.api('GET', '/api/orders?limit=100')).body.total).toBe(7);
  });

  it('keeps an order placed on the webshop itself: no reservation, nowhere to forward', async () => {
    w.placeOrder({ orderid: 'W-1', status: 'payed', total: { amount: 10, currency: 'USD' }, orderItems: [{ ...idsOf(w, skuC), quantity: 1, unitPrice: 10 }] });
    const summary = await ok(hub, 'fetch', W.id);
    expect(summary.fetchOrders).toMatchObject({ created: 1, reserved: 0, forwardsPlanned: 0 });
    const order = (await hub.api('GET', '/api/orders?limit=100')).body.items.find((o: any) => o.number === 'W-1');
    expect(order.equivalences).toEqual([{ connectionId: W.id, externalId: ordersNumbered(w, 'W-1')[0]._id, status: 'live', issues: 0, removals: false }]);
  });
});

function created(shop: Storefront): string {
  return ordersNumbered(shop, 'M1-1001')[0]._id;
}
