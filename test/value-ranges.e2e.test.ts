import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts, connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront, type StoreProduct } from '../src/storefront/server.js';
import { demoProduct } from '../src/storefront/catalog.js';

describe.each(DATABASES)('numbers in settings and configurations (%s)', (kind) => {
  let hub: TestHub;
  let source: Storefront;
  let target: Storefront;
  beforeAll(async () => {
    hub = await startTestHub(kind);
    // Prices: product 0 costs 5.00, product 1 costs 500.00, the rest as the demo has them (all above 10).
    const products: StoreProduct[] = Array.from({ length: 6 }, (_, i) => demoProduct(i));
    for (const v of products[0].variations!) v.prices = [{ tag: 'default', currency: 'USD', number: '5.00' }];
    for (const v of products[1].variations!) v.prices = [{ tag: 'default', currency: 'USD', number: '500.00' }];
    for (const p of products.slice(2)) for (const v of p.variations!) v.prices = [{ tag: 'default', currency: 'USD', number: '50.00' }];
    source = await startStorefront({ key: 'ranges-source-key-01', products });
    target = await startStorefront({ key: 'ranges-target-key-01', products: [] });
  });
  afterAll(async () => {
    await hub?.close();
    await source?.close();
    await target?.close();
  });

  const post = (settings: unknown, config: Record<string, unknown> = {}) => hub.api('POST', '/api/connections', {
    name: 'Ranges', kind: 'custom', settings,
    config: { productsUrl: source.productsUrl, ordersUrl: source.ordersUrl, key: 'ranges-other-key-01', ...config },
  });

  it.each([
    [{ price: { add: -1e9 } }, {}, 'settings.price.add', /between -1,000,000 and 1,000,000/],
    [{ price: { marginPercent: 5000 } }, {}, 'settings.price.marginPercent', /between -90 and 1,000/],
    [{ stock: { buffer: 1e12 } }, {}, 'settings.stock.buffer', /between 0 and 1,000,000/],
    [{ stock: { max: -1 } }, {}, 'settings.stock.max', /between 0 and/],
    [{ thresholds: { lowStock: 1e300 } }, {}, 'settings.thresholds.lowStock', /between 0 and/],
    [{ deliveryDays: 100000 }, {}, 'settings.deliveryDays', /between 0 and 365/],
    [{ currency: { code: 'EUR', rates: { USD: 1e12 } } }, {}, 'settings.currency.rates.USD', /between/],
    [{}, { retries: 1e9 }, 'config.retries', /between 0 and 10/],
    [{}, { timeoutMs: 1e12 }, 'config.timeoutMs', /between 1,000 and 300,000/],
    [{}, { retryBaseMs: 1e9 }, 'config.retryBaseMs', /between 0 and 60,000/],
    [{}, { maxPages: 1e15 }, 'config.maxPages', /between 1 and 10,000,000/],
  ])('refuses %j %j with a 400 naming %s and its range', async (settings, config, field, range) => {
    const res = await post(settings, config);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
    expect(res.body.error.message).toContain(field);
    expect(res.body.error.message).toMatch(range);
  });

  it('settings stored before the ranges existed are brought into range, and the connection keeps working', async () => {
    const created = await post({ price: { marginPercent: 10 } });
    expect(created.status).toBe(201);
    const db = hub.running.hub.db;
    await db.rows(sql`update connections set settings = jsonb_set(jsonb_set(settings, '{price,marginPercent}', '5000'), '{price,add}', '-1000000000')
      where id = ${created.body.id}`);
    const got = await hub.api('GET', `/api/connections/${created.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body.settings.price).toMatchObject({ marginPercent: 1000, add: -1_000_000 });
  });

  it('a configuration stored before the ranges existed still runs, with its numbers in range', async () => {
    const created = await hub.api('POST', '/api/connections', {
      name: 'Old config', kind: 'custom', config: { productsUrl: source.productsUrl, ordersUrl: source.ordersUrl, key: 'ranges-source-key-01' },
    });
    expect(created.status).toBe(201);
    await hub.running.hub.db.rows(sql`update connections set config = config || '{"retries": 500, "timeoutMs": 200}'::jsonb where id = ${created.body.id}`);
    const job = await hub.run('fetch', created.body.id);
    expect(job.error).toBeNull();
    expect(job.state).toBe('completed');
    await hub.api('DELETE', `/api/connections/${created.body.id}`);
  });

  it('never writes a price below zero: those listings get an issue, the rest of the send goes on', async () => {
    const S = await connectShop(hub, 'Source', source);
    expect((await hub.run('fetch', S.id)).state).toBe('completed');
    // 5.00 - 20 < 0 is held back; 500.00 - 20 and 50.00 - 20 are written.
    const T = await connectShop(hub, 'Target', target, { settings: { absorb: { products: true }, price: { add: -20 } } });
    const sent = await hub.run('send', T.id);
    expect(sent.state).toBe('completed');
    expect(sent.summary.send.created).toBe(5);
    expect(target.products.size).toBe(5);
    for (const p of target.products.values()) {
      for (const v of p.variations ?? []) expect(Number(v.prices![0].number)).toBeGreaterThanOrEqual(0);
    }
    const cheap = (await allProducts(hub)).find((p) => p.sku === demoProduct(0).sku)!;
    expect([...target.products.values()].some((p) => p.sku === cheap.sku)).toBe(false);
    const issues = (await hub.api('GET', `/api/issues?connectionId=${T.id}`)).body.items.filter((i: any) => i.code === 'invalid_price');
    expect(issues).toHaveLength(1);
    expect(issues[0].recordId).toBe(cheap.id);
    expect(issues[0].message).toMatch(/would be -15\.00 USD.*below zero is never written/);

    // With a rule that no longer takes it below zero, it is written and the issue resolved.
    expect((await hub.api('PATCH', `/api/connections/${T.id}`, { settings: { price: { add: -1 } } })).status).toBe(200);
    const again = await hub.run('send', T.id);
    expect(again.state).toBe('completed');
    expect([...target.products.values()].some((p) => p.sku === cheap.sku)).toBe(true);
    const open = (await hub.api('GET', `/api/issues?connectionId=${T.id}`)).body.items.filter((i: any) => i.code === 'invalid_price');
    expect(open).toHaveLength(0);
  }, 60_000);
});
