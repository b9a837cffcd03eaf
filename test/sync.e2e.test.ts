import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop, skuCounts, startBreakingProxy } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { demoProduct } from '../src/storefront/catalog.js';

const OWN = 30;

describe.each(DATABASES)('sync: fetch and send of one connection at once (%s)', (kind) => {
  let hub: TestHub;
  let a: Storefront;
  let b: Storefront;
  let A: any;
  let B: any;
  let proxy: Awaited<ReturnType<typeof startBreakingProxy>>;
  beforeAll(async () => {
    hub = await startTestHub(kind);
    a = await startStorefront({ key: 'sync-a-123456', products: 150 });
    // B has products of its own, so its listing spans several pages.
    b = await startStorefront({ key: 'sync-b-123456', products: Array.from({ length: OWN }, (_, k) => demoProduct(5000 + k)), pageSize: 10 });
    A = await connectShop(hub, 'Source', a);
    proxy = await startBreakingProxy(b);
    B = await connectShop(hub, 'Target', b, { settings: { absorb: { products: true } }, config: { productsUrl: proxy.productsUrl, ordersUrl: proxy.ordersUrl } });
  });
  afterAll(async () => {
    await hub?.close();
    await proxy?.close();
    await a?.close();
    await b?.close();
  });

  it('creates everything once while its own fetch runs alongside', async () => {
    expect((await hub.run('fetch', A.id)).state).toBe('completed');
    // B's listing pages slowly: its fetch is still reading (the products being created among them) while
    // the send, having looked through B's listing first (B's listing is not known yet), creates the rest.
    proxy.readDelayMs = 25;
    const job = await hub.run('sync', B.id);
    proxy.readDelayMs = 0;
    expect(job.state).toBe('completed');
    expect(job.type).toBe('sync');
    expect(job.summary.fetch.scanned).toBeGreaterThanOrEqual(OWN);
    expect(job.summary.fetch).toMatchObject({ complete: true, created: OWN });
    expect(job.summary.send.failed).toBe(0);
    expect(b.products.size).toBe(150 + OWN);
    expect([...skuCounts(b).values()].every((n) => n === 1)).toBe(true);
    const conn = (await hub.api('GET', `/api/connections/${B.id}`)).body;
    expect(conn.equivalences).toEqual({ live: 150 + OWN });
    expect(conn.pending.total).toBe(0);
    const { body } = await hub.api('GET', '/api/products?limit=1');
    expect(body.total).toBe(150 + OWN);

    const again = await hub.run('sync', B.id);
    expect(again.summary.fetch).toMatchObject({ scanned: 150 + OWN, unchanged: 150 + OWN, changed: 0, created: 0, complete: true });
    expect(again.summary.send).toMatchObject({ created: 0, updated: 0, failed: 0 });
    expect(b.products.size).toBe(150 + OWN);
  });

  it('a sync of the source plans the change for the others, and their sync writes it', async () => {
    const p = [...a.products.values()][10];
    p.title = 'Renamed at the source';
    const sourceSync = await hub.run('sync', A.id);
    expect(sourceSync.summary.fetch.changed).toBe(1);
    expect(sourceSync.summary.send).toMatchObject({ created: 0, updated: 0 });
    expect((await hub.api('GET', `/api/connections/${B.id}`)).body.pending).toMatchObject({ updates: 1, inserts: 0 });
    const before = b.requests.length;
    const targetSync = await hub.run('sync', B.id);
    expect(targetSync.summary.send.updated).toBe(1);
    expect(b.requests.slice(before).map((r) => r.body)).toEqual([{ title: 'Renamed at the source' }]);
    expect([...b.products.values()].find((x) => x.sku === p.sku)!.title).toBe('Renamed at the source');
  });
});
