import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';

describe.each(DATABASES)('product list colours (%s)', (kind) => {
  let hub: TestHub;
  let a: Storefront;
  let b: Storefront;
  beforeAll(async () => {
    a = await startStorefront({ key: 'key-a-1234567', products: 5 });
    b = await startStorefront({ key: 'key-b-1234567', products: [] });
    hub = await startTestHub(kind);
  });
  afterAll(async () => { await hub?.close(); await a?.close(); await b?.close(); });

  it('flags a pending image removal (red) on the connection that must remove it, and issues carry their entity', async () => {
    const A = (await hub.api('POST', '/api/connections', { name: 'A', kind: 'custom', config: { productsUrl: a.productsUrl, ordersUrl: a.ordersUrl, key: a.key } })).body;
    const B = (await hub.api('POST', '/api/connections', { name: 'B', kind: 'custom', config: { productsUrl: b.productsUrl, ordersUrl: b.ordersUrl, key: b.key }, settings: { absorb: { products: true } } })).body;
    await hub.run('fetch', A.id);
    await hub.run('send', B.id);
    const target = [...a.products.values()][1];
    const variation = target.variations![0];
    expect(variation.images!.length).toBeGreaterThan(0);
    variation.images = [];
    await hub.run('fetch', A.id);
    const list = (await hub.api('GET', '/api/products?limit=50')).body;
    const row = list.items.find((p: { sku: string }) => p.sku === target.sku);
    const onB = row.equivalences.find((e: { connectionId: string }) => e.connectionId === B.id);
    expect(onB).toMatchObject({ status: 'pending_update', removals: true });
    const others = list.items.filter((p: { sku: string }) => p.sku !== target.sku);
    expect(others.every((p: any) => p.equivalences.every((e: any) => e.removals === false))).toBe(true);

    a.setFaults({ wrongTypes: true });
    await hub.run('fetch', A.id);
    const issues = (await hub.api('GET', `/api/issues?connectionId=${A.id}`)).body.items;
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i: { entity: string }) => i.entity === 'product')).toBe(true);
  });
});
