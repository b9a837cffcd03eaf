import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop, startBreakingProxy, until } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';

// A fetch loads its connections when it starts. A price rule changed while it runs must not be
// undone by the plan it makes for the products it changed.
describe.each(DATABASES)('a price rule changed while a fetch runs (%s)', (kind) => {
  let hub: TestHub;
  let web: Storefront;
  let market: Storefront;
  let proxy: Awaited<ReturnType<typeof startBreakingProxy>>;
  beforeAll(async () => {
    hub = await startTestHub(kind);
    web = await startStorefront({ key: 'rulefetch-web-1234', products: 3 });
    market = await startStorefront({ key: 'rulefetch-mkt-1234', products: [] });
    proxy = await startBreakingProxy(web);
  });
  afterAll(async () => {
    await hub?.close();
    await proxy?.close();
    await Promise.all([web?.close(), market?.close()]);
  });

  it('is the rule the changed products are planned with', async () => {
    const W = await connectShop(hub, 'Webshop', web, { config: { productsUrl: proxy.productsUrl, ordersUrl: proxy.ordersUrl } });
    // The market does not take descriptions: a description change on the webshop plans nothing there.
    const M = await connectShop(hub, 'Market', market, { settings: { absorb: { products: true }, fields: { description: { write: false } } } });
    expect((await hub.run('fetch', W.id)).state).toBe('completed');
    expect((await hub.run('send', M.id)).summary.send.created).toBe(3);
    const prices = new Map([...web.products.values()].map((p) => [p.sku, Number(p.variations![0].prices![0].number)]));
    for (const p of web.products.values()) p.description = `${p.description} (new)`;

    // The webshop's listing is read slowly; the rule changes once the fetch has begun reading it.
    let released = false;
    proxy.holdReadsUntil = () => released;
    const job = (await hub.api('POST', `/api/connections/${W.id}/fetch`)).body.jobId;
    const readsBefore = proxy.reads;
    await until('the fetch to ask for its first page', () => proxy.reads > readsBefore, 10_000);
    const patched = await hub.api('PATCH', `/api/connections/${M.id}`, { settings: { price: { marginPercent: 50 } } });
    expect(patched.status).toBe(200);
    released = true;
    proxy.holdReadsUntil = null;
    expect((await hub.waitJob(job)).summary.fetch.changed).toBe(3);

    expect((await hub.run('send', M.id)).summary.send.updated).toBe(3);
    for (const p of market.products.values()) {
      expect(Number(p.variations![0].prices![0].number)).toBe(Math.round(prices.get(p.sku)! * 1.5 * 100) / 100);
    }
  });
});
