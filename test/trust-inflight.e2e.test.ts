import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts, connectShop, until } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';

// A change planned while the send is writing the same listing is not the one being written:
// the send must not take it away when it commits what it wrote.
describe.each(DATABASES)('a change planned while a write of the same listing is in flight (%s)', (kind) => {
  let hub: TestHub;
  let web: Storefront;
  let market: Storefront;
  beforeAll(async () => {
    hub = await startTestHub(kind);
    web = await startStorefront({ key: 'inflight-web-12345', products: 2 });
    market = await startStorefront({ key: 'inflight-mkt-12345', products: [] });
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all([web?.close(), market?.close()]);
  });

  it('stays pending and is written by the next send', async () => {
    const W = await connectShop(hub, 'Webshop', web);
    const M = await connectShop(hub, 'Market', market, { settings: { absorb: { products: true } } });
    expect((await hub.run('fetch', W.id)).state).toBe('completed');
    expect((await hub.run('send', M.id)).summary.send.created).toBe(2);
    const source = [...web.products.values()][0];
    source.variations![0].prices![0].number = '50.00';
    expect((await hub.run('fetch', W.id)).summary.fetch.changed).toBe(1);

    // The market answers slowly; while the price is being written, the webshop's price changes again.
    market.setFaults({ delayMs: 1500 });
    const writes = market.requests.length;
    const job = (await hub.api('POST', `/api/connections/${M.id}/send`)).body.jobId;
    await until('the write to start', async () => (await hub.api('GET', `/api/jobs/${job}`)).body.phase === 'send', 10_000);
    source.variations![0].prices![0].number = '60.00';
    expect((await hub.run('fetch', W.id)).summary.fetch.changed).toBe(1);
    expect((await hub.waitJob(job)).summary.send.updated).toBe(1);
    market.setFaults({});
    expect(market.requests.length).toBe(writes + 1);

    const conn = (await hub.api('GET', `/api/connections/${M.id}`)).body;
    expect(conn.pending.updates).toBe(1);
    expect((await hub.run('send', M.id)).summary.send.updated).toBe(1);
    const listing = [...market.products.values()].find((p) => p.sku === source.sku)!;
    expect(Number(listing.variations![0].prices![0].number)).toBe(60);
    expect((await allProducts(hub)).find((p) => p.sku === source.sku).variations[0].prices[0].amount).toBe(60);
  });
});
