import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';

describe.each(DATABASES)('connection stats (%s)', (kind) => {
  let hub: TestHub;
  let a: Storefront;
  let b: Storefront;
  let A: { id: string };
  let B: { id: string };

  beforeAll(async () => {
    a = await startStorefront({ key: 'key-a-1234567', products: 20 });
    b = await startStorefront({ key: 'key-b-1234567', products: [] });
    hub = await startTestHub(kind);
    A = await connectShop(hub, 'Shop A', a);
    B = await connectShop(hub, 'Shop B', b, { settings: { absorb: { products: true } } });
  });
  afterAll(async () => {
    await hub?.close();
    await a?.close();
    await b?.close();
  });

  it('counts records and equivalences by status, with issues and pending, and times the last fetch and send', async () => {
    await hub.run('fetch', A.id);
    expect((await hub.run('send', B.id)).summary.send.created).toBe(20);
    await hub.run('fetch', B.id);
    // Two products disappear from B, found by a full rescan.
    for (const id of [...b.products.keys()].slice(0, 2)) b.products.delete(id);
    await hub.api('POST', `/api/connections/${B.id}/clocks/reset`, {});
    await hub.run('fetch', B.id);
    // A change that B refuses: an error equivalence with an issue, still pending.
    const target = (await hub.api('GET', `/api/products?q=${encodeURIComponent('on "Shop B"')}&limit=1`)).body.items[0];
    await hub.api('PATCH', `/api/products/${target.id}`, { title: 'Changed in the hub' });
    b.setFaults({ fail500: 1000 });
    const sent = await hub.run('send', B.id);
    b.setFaults({});
    expect(sent.summary.send.failed).toBe(1);

    const res = await hub.api('GET', `/api/connections/${B.id}/stats`);
    expect(res.status).toBe(200);
    const s = res.body;
    expect(s).toMatchObject({ connectionId: B.id, name: 'Shop B', kind: 'custom', paused: false });
    expect(s.products).toEqual({
      records: 18,
      equivalences: { live: 17, pending_insert: 0, pending_update: 0, error: 1, gone: 2, total: 20 },
      withIssues: 1,
      pending: { inserts: 0, updates: 1, total: 1 },
    });
    expect(s.orders.records).toBe(0);
    expect(s.issues.error).toBe(1);
    expect(s.lastFetch).toMatchObject({
      type: 'fetch', state: 'completed', scanned: 18, complete: true, deletions: { listed: 20, missing: 2, gone: 2 },
    });
    expect(s.lastFetch.durationMs).toBeGreaterThanOrEqual(0);
    expect(s.lastFetch.perSecond).toEqual(expect.any(Number));
    expect(s.lastSend).toMatchObject({ type: 'send', state: 'completed', updated: 0, failed: 1 });
    expect(s.lastSend.durationMs).toBeGreaterThanOrEqual(0);
    expect(s.clocks.products.fullScanAt).toEqual(expect.any(String));

    const sa = (await hub.api('GET', `/api/connections/${A.id}/stats`)).body;
    expect(sa.products).toMatchObject({ records: 20, equivalences: { live: 19, pending_update: 1, total: 20 }, withIssues: 0 });
    expect(sa.products.pending.updates).toBe(1);
    expect(sa.lastFetch).toMatchObject({ scanned: 20, created: 20 });
    expect(sa.lastSend).toBeNull();
  });

  it('answers 404 for an unknown connection', async () => {
    expect((await hub.api('GET', `/api/connections/${crypto.randomUUID()}/stats`)).status).toBe(404);
  });
});
