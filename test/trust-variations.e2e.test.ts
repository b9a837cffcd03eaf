import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront, type StoreProduct } from '../src/storefront/server.js';

// The custom protocol's own example: variations with no `_id` and no `sku`, identified by position,
// and order items naming them with variation_id "0", "1"... (reference/custom-storefront-protocol.md).
const anonymous = (id: string, title: string, colors: string[]): StoreProduct => ({
  _id: id, sku: `ANON-${id}`, title, brand: 'Plain', description: 'No variation ids',
  variations: colors.map((color, i) => ({
    color, size: 'M',
    availabilities: [{ tag: 'default', quantity: String(10 + i) }],
    prices: [{ tag: 'default', currency: 'USD', number: '25.00' }],
  })),
});

describe.each(DATABASES)('order lines on variations without ids (%s)', (kind) => {
  let hub: TestHub;
  let web: Storefront;
  let market: Storefront;
  let W: any;
  let M: any;
  beforeAll(async () => {
    hub = await startTestHub(kind);
    web = await startStorefront({
      key: 'anon-web-1234567',
      products: [anonymous('7778545', 'Plain tee', ['Black', 'White', 'Red']), anonymous('7778546', 'Single mug', ['Blue'])],
      orders: [],
    });
    market = await startStorefront({ key: 'anon-market-12345', products: [] });
    W = await connectShop(hub, 'Webshop', web, { settings: { absorb: { orders: true } } });
    M = await connectShop(hub, 'Market', market, { settings: { absorb: { products: true } } });
    expect((await hub.run('fetch', W.id)).state).toBe('completed');
    expect((await hub.run('send', M.id)).summary.send.created).toBe(2);
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all([web?.close(), market?.close()]);
  });

  it('imports an order naming variations by position, and forwards it to the webshop in its own terms', async () => {
    const onMarket = new Map([...market.products.values()].map((p) => [p.title, p]));
    const tee = onMarket.get('Plain tee')!;
    const mug = onMarket.get('Single mug')!;
    market.placeOrder({
      orderid: 'MK-1', status: 'paid', dateCreated: new Date().toISOString(), dateClosed: '',
      total: { amount: '75.00', currency: 'USD' },
      orderItems: [
        // The third colour (Red), and the mug's only variation named by "0".
        { id: tee._id, variation_id: tee.variations![2]._id ?? '2', quantity: '2', unitPrice: '25', currencyId: 'USD' },
        { id: mug._id, variation_id: mug.variations![0]._id ?? '0', quantity: '1', unitPrice: '25', currencyId: 'USD' },
      ],
      buyer: { id: '1', email: 'b@example.com', phone: '', firstName: 'B', lastName: 'C' },
    });
    const fetched = await hub.run('fetch', M.id);
    expect(fetched.summary.fetchOrders).toMatchObject({ created: 1, unmatchedLines: 0, forwardsPlanned: 1 });
    const sent = await hub.run('send', W.id);
    expect(sent.state).toBe('completed');
    expect(sent.summary.sendOrders).toMatchObject({ forwarded: 1, held: 0, failed: 0 });
    const forwarded = [...web.orders.values()];
    expect(forwarded).toHaveLength(1);
    const items = forwarded[0].orderItems as Array<{ id: string; variation_id: string; quantity: string | number }>;
    expect(items.map((i) => [i.id, String(i.variation_id), Number(i.quantity)])).toEqual([['7778545', '2', 2], ['7778546', '0', 1]]);
    const issues = (await hub.api('GET', '/api/issues')).body.items;
    expect(issues.filter((i: any) => i.severity === 'error')).toEqual([]);
  });
});
