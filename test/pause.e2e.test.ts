import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop, skuCounts, startBreakingProxy, until } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';

describe.each(DATABASES)('pause and resume (%s)', (kind) => {
  let hub: TestHub;
  let a: Storefront;
  let b: Storefront;
  let proxy: Awaited<ReturnType<typeof startBreakingProxy>>;
  let A: any;
  let B: any;
  const job = async (id: string) => (await hub.api('GET', `/api/jobs/${id}`)).body;
  const start = async (type: string, id: string) => hub.api('POST', `/api/connections/${id}/${type}`);

  beforeAll(async () => {
    hub = await startTestHub(kind);
    a = await startStorefront({ key: 'pause-a-123456', products: 200, pageSize: 5 });
    b = await startStorefront({ key: 'pause-b-123456', products: [] });
    proxy = await startBreakingProxy(a);
    A = await connectShop(hub, 'Slow source', a, { config: { productsUrl: proxy.productsUrl, ordersUrl: proxy.ordersUrl } });
    B = await connectShop(hub, 'Slow target', b, { settings: { absorb: { products: true } } });
  });
  afterAll(async () => {
    await hub?.close();
    await proxy?.close();
    await a?.close();
    await b?.close();
  });

  it('a paused connection refuses fetch, send and sync with 409 CS_PAUSED, and resume lifts it', async () => {
    const paused = await hub.api('POST', `/api/connections/${B.id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ id: B.id, paused: true, state: 'paused' });
    for (const type of ['fetch', 'send', 'sync']) {
      const res = await start(type, B.id);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('CS_PAUSED');
      expect(res.body.error.message).toMatch(/Slow target is paused/);
    }
    const resumed = await hub.api('POST', `/api/connections/${B.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ paused: false, state: 'idle' });
    expect((await hub.run('fetch', B.id)).state).toBe('completed');
  });

  it('pausing during a long fetch stops it at the next page as cancelled; after resume it completes', async () => {
    a.setFaults({ delayMs: 50 });
    const res = await start('fetch', A.id);
    expect(res.status).toBe(202);
    await until('the fetch to read a few pages', () => proxy.reads >= 2);
    expect((await job(res.body.jobId)).state).toBe('running');
    expect((await hub.api('GET', `/api/connections/${A.id}`)).body.state).toBe('fetching');
    await hub.api('POST', `/api/connections/${A.id}/pause`);
    const readsAtPause = proxy.reads;
    const stopped = await hub.waitJob(res.body.jobId);
    expect(stopped.state).toBe('cancelled');
    expect(stopped.error).toMatch(/paused/);
    // It stopped long before the end of the 40-page listing, and moved no clock.
    expect(proxy.reads - readsAtPause).toBeLessThan(20);
    const conn = (await hub.api('GET', `/api/connections/${A.id}`)).body;
    expect(conn.state).toBe('paused');
    expect(conn.clocks.products).toBeUndefined();

    a.setFaults({});
    await hub.api('POST', `/api/connections/${A.id}/resume`);
    const done = await hub.run('fetch', A.id);
    expect(done.state).toBe('completed');
    expect(done.summary.fetch).toMatchObject({ scanned: 200, complete: true });
    expect((await hub.api('GET', `/api/connections/${A.id}`)).body.equivalences).toEqual({ live: 200 });
  });

  it('pausing during a send stops it between batches; after resume the rest is created exactly once', async () => {
    b.setFaults({ delayMs: 15 });
    const res = await start('send', B.id);
    await until('some creates', () => b.products.size >= 10);
    await hub.api('POST', `/api/connections/${B.id}/pause`);
    const stopped = await hub.waitJob(res.body.jobId);
    expect(stopped.state).toBe('cancelled');
    const partial = b.products.size;
    expect(partial).toBeLessThan(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(b.products.size).toBe(partial);

    b.setFaults({});
    await hub.api('POST', `/api/connections/${B.id}/resume`);
    const done = await hub.run('send', B.id);
    expect(done.state).toBe('completed');
    // The batch under way when the pause came was finished and acknowledged: nothing to recover, nothing twice.
    expect(done.summary.send).toMatchObject({ created: 200 - partial, recovered: 0, failed: 0 });
    expect(b.products.size).toBe(200);
    expect([...skuCounts(b).values()].every((n) => n === 1)).toBe(true);
    expect((await hub.api('GET', `/api/connections/${B.id}`)).body.pending.total).toBe(0);
  });

  it('pausing during a slow order scan stops it within a page or two, not after a batch of 250 orders', async () => {
    const shop = await startStorefront({ key: 'pause-o-123456', products: 10, orders: 300, pageSize: 5 });
    const orderProxy = await startBreakingProxy(shop);
    try {
      const c = await connectShop(hub, 'Slow orders', shop, { config: { productsUrl: orderProxy.productsUrl, ordersUrl: orderProxy.ordersUrl } });
      orderProxy.readDelayMs = 40;
      const res = await start('fetch', c.id);
      // The products (two pages) are read first, then the 60 pages of orders.
      await until('the fetch to read a few pages of orders', () => orderProxy.reads >= 6);
      await hub.api('POST', `/api/connections/${c.id}/pause`);
      const readsAtPause = orderProxy.reads;
      const stopped = await hub.waitJob(res.body.jobId);
      expect(stopped.state).toBe('cancelled');
      expect(stopped.error).toMatch(/paused/);
      expect(orderProxy.reads - readsAtPause).toBeLessThan(12);
      // Nothing of the scan was committed as done: the orders clock did not move.
      expect((await hub.api('GET', `/api/connections/${c.id}`)).body.clocks.orders).toBeUndefined();
    } finally {
      await orderProxy.close();
      await shop.close();
    }
  });

  it('a job queued before the pause does not run once paused', async () => {
    const c = await connectShop(hub, 'Queued then paused', a);
    // Hold the fetch lane so the next fetch waits in the queue.
    await hub.running.hub.db.rows((await import('drizzle-orm')).sql`insert into connection_locks (connection_id, lane, job_id, owner, expires_at)
      values (${c.id}, 'fetch', gen_random_uuid(), 'test', now() + interval '1 hour')`);
    const res = await start('fetch', c.id);
    await until('the job to wait for its lane', async () => (await job(res.body.jobId)).state === 'running');
    await hub.api('POST', `/api/connections/${c.id}/pause`);
    const stopped = await hub.waitJob(res.body.jobId);
    expect(stopped.state).toBe('cancelled');
    expect((await hub.api('GET', `/api/connections/${c.id}`)).body.equivalences).toEqual({});
  });
});
