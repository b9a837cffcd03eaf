import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop } from './helpers/shops.js';
import { demoProduct } from '../src/storefront/catalog.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';

async function ok(hub: TestHub, type: 'fetch' | 'send', id: string) {
  const job = await hub.run(type, id);
  expect(job.error, `${type}: ${job.error}`).toBeNull();
  return job.summary;
}

describe.each(DATABASES)('defaults for sales orders forwarded into a connection (%s)', (kind) => {
  let hub: TestHub;
  let w: Storefront;
  let m: Storefront;
  let W: any;
  let M: any;
  const products = [demoProduct(0), demoProduct(1)];
  products.forEach((p) => p.variations!.forEach((v) => { v.availabilities = [{ tag: 'default', quantity: 10 }]; }));
  const sku = products[0].variations![0].sku!;

  beforeAll(async () => {
    w = await startStorefront({ key: 'key-webshop-123', products });
    m = await startStorefront({ key: 'key-market-1234', products: [] });
    hub = await startTestHub(kind);
    W = await connectShop(hub, 'Webshop', w, { settings: {
      absorb: { orders: true },
      orderDefaults: { status: 'pending', shippingMethod: 'Marketplace fulfilment', paymentMethod: 'Paid on Market', customerGroup: 'marketplace', note: 'Order from Market' },
    } });
    M = await connectShop(hub, 'Market', m, { settings: { absorb: { products: true } } });
    await ok(hub, 'fetch', W.id);
    await ok(hub, 'send', M.id);
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all([w?.close(), m?.close()]);
  });

  it('creates the order in the webshop with its status, shipping method, payment method, customer group and note defaults', async () => {
    const listing = [...m.products.values()].find((p) => p.variations!.some((v) => v.sku === sku))!;
    const variation = listing.variations!.find((v) => v.sku === sku)!;
    m.placeOrder({ orderid: 'MK-1', status: 'payed', total: { amount: 30, currency: 'USD' }, orderItems: [{ id: listing._id, variation_id: String(variation._id), quantity: 1, unitPrice: 30 }] });
    expect((await ok(hub, 'fetch', M.id)).fetchOrders).toMatchObject({ created: 1, forwardsPlanned: 1 });
    expect((await ok(hub, 'send', W.id)).sendOrders).toMatchObject({ forwarded: 1, failed: 0 });
    const [forwarded] = [...w.orders.values()].filter((o) => o.orderid === 'MK-1');
    expect(forwarded).toMatchObject({
      status: 'pending', shippingMethod: 'Marketplace fulfilment', paymentMethod: 'Paid on Market', customerGroup: 'marketplace', notes: 'Order from Market',
    });
    // The hub order keeps its own status; the default is not "corrected" at the next sends or scans.
    const hubOrder = (await hub.api('GET', '/api/orders')).body.items[0];
    expect(hubOrder).toMatchObject({ number: 'MK-1', status: 'paid', notes: '' });
    expect((await ok(hub, 'fetch', W.id)).fetchOrders).toMatchObject({ changed: 0 });
    expect((await ok(hub, 'send', W.id)).sendOrders).toMatchObject({ forwarded: 0, updated: 0 });
    expect((await hub.api('GET', `/api/orders/${hubOrder.id}`)).body).toMatchObject({ status: 'paid' });
  });

  it('still passes the webshop’s fulfilment back to the marketplace', async () => {
    const [forwarded] = [...w.orders.values()].filter((o) => o.orderid === 'MK-1');
    forwarded.status = 'shipped';
    forwarded.shipments = [{ carrier: 'DHL', trackingNumber: 'JD0001', labelUrl: '', date: '' }];
    expect((await ok(hub, 'fetch', W.id)).fetchOrders).toMatchObject({ changed: 1 });
    await ok(hub, 'send', M.id);
    const [onMarket] = [...m.orders.values()].filter((o) => o.orderid === 'MK-1');
    expect(onMarket).toMatchObject({ status: 'shipped', shipments: [expect.objectContaining({ trackingNumber: 'JD0001' })] });
  });
});
