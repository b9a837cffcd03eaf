import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { demoProduct } from '../src/storefront/catalog.js';

const PRODUCTS = 24;
const ALL_CATEGORIES = [...new Set(Array.from({ length: PRODUCTS }, (_, i) => demoProduct(i).categories![0]))];
const rule = (categories: string[]) => ({
  requireCategory: true,
  platformCategories: ['Everything'],
  categoryMap: categories.map((category) => ({ category, to: 'Everything' })),
});

// A create owed to an absorbing connection is one fact: the product has no listing there.
// Whatever the toggles in between, what the counts show as owed is what the next send writes.
describe.each(DATABASES)('creates owed to an absorbing connection (%s)', (kind) => {
  let hub: TestHub;
  let web: Storefront;
  let market: Storefront;
  beforeAll(async () => {
    hub = await startTestHub(kind);
    web = await startStorefront({ key: 'owed-web-1234567', products: PRODUCTS });
    market = await startStorefront({ key: 'owed-market-12345', products: [] });
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all([web?.close(), market?.close()]);
  });

  it('held by a rule, absorb off, then on with the rule fixed: the send writes every create the counts show', async () => {
    expect(ALL_CATEGORIES.length).toBeGreaterThan(2);
    const W = await connectShop(hub, 'Webshop', web);
    const B = await connectShop(hub, 'Market', market, { settings: { absorb: { products: true }, ...rule(ALL_CATEGORIES.slice(1)) } });
    expect((await hub.run('fetch', W.id)).state).toBe('completed');
    const first = await hub.run('send', B.id);
    const held = first.summary.send.held;
    expect(held).toBeGreaterThan(0);
    expect(first.summary.send.created).toBe(PRODUCTS - held);

    expect((await hub.api('PATCH', `/api/connections/${B.id}`, { settings: { absorb: { products: false } } })).status).toBe(200);
    expect((await hub.run('send', B.id)).summary.send.created).toBe(0);
    expect((await hub.api('GET', `/api/connections/${B.id}`)).body.pending.inserts).toBe(0);

    const fixed = await hub.api('PATCH', `/api/connections/${B.id}`, { settings: { absorb: { products: true }, ...rule(ALL_CATEGORIES) } });
    expect(fixed.status).toBe(200);
    const owed = (await hub.api('GET', `/api/connections/${B.id}`)).body.pending.inserts;
    expect(owed).toBe(held);
    const sent = await hub.run('send', B.id);
    expect(sent.summary.send).toMatchObject({ created: held, held: 0, failed: 0 });
    expect(market.products.size).toBe(PRODUCTS);
    expect((await hub.api('GET', `/api/connections/${B.id}`)).body.pending.inserts).toBe(0);
    expect((await hub.run('send', B.id)).summary.send.created).toBe(0);
  });
});
