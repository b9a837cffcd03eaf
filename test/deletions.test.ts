import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront, type StoreProduct } from '../src/storefront/server.js';
import { fetchProducts } from '../src/engine/fetch.js';
import { listConnections } from '../src/engine/connections.js';
import { JobStopped, type JobContext } from '../src/jobs/context.js';

/** Clocks and deletions (SPEC section 5): a full rescan marks what it did not find gone, with the mass-delete guard. */
describe.each(DATABASES)('deletions after a clock reset (%s)', (kind) => {
  let hub: TestHub;
  let a: Storefront;
  let b: Storefront;
  let A: { id: string };
  let B: { id: string };
  const removed = new Map<string, StoreProduct>();

  const statuses = async (connectionId: string) => {
    const rows = await hub.running.hub.db.rows<{ status: string; n: number }>(sql`
      select status, count(*)::int as n from equivalences where connection_id = ${connectionId} group by status`);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  };
  const remove = (n: number, from = 0) => {
    for (const id of [...a.products.keys()].slice(from, from + n)) {
      removed.set(id, a.products.get(id)!);
      a.products.delete(id);
    }
  };
  const restore = () => {
    for (const [id, p] of removed) a.products.set(id, p);
    removed.clear();
  };
  const reset = async (id: string) => {
    const res = await hub.api('POST', `/api/connections/${id}/clocks/reset`, { entity: 'products' });
    expect(res.status).toBe(200);
    expect(res.body.clocks.products.cursor).toBeNull();
  };
  const fetchA = async () => {
    const job = await hub.run('fetch', A.id);
    expect(job.state, job.error).toBe('completed');
    return job.summary.fetch;
  };
  const goneFromA = async () => (await hub.api('GET', `/api/products?limit=1000&q=${encodeURIComponent('gone from "Shop A"')}`)).body;

  beforeAll(async () => {
    a = await startStorefront({ key: 'key-a-1234567', products: 600 });
    b = await startStorefront({ key: 'key-b-1234567', products: [] });
    hub = await startTestHub(kind);
    A = await connectShop(hub, 'Shop A', a);
    B = await connectShop(hub, 'Shop B', b, { settings: { absorb: { products: true } } });
    expect((await fetchA()).created).toBe(600);
    expect((await hub.run('send', B.id)).summary.send.created).toBe(600);
  });
  afterAll(async () => {
    await hub?.close();
    await a?.close();
    await b?.close();
  });

  it('marks nothing gone without a clock reset; after one, a complete rescan marks the missing listings gone and keeps the records', async () => {
    remove(10);
    const plain = await fetchA();
    expect(plain.deletions).toBeUndefined();
    expect(await statuses(A.id)).toEqual({ live: 600 });

    await reset(A.id);
    const rescan = await fetchA();
    expect(rescan.deletions).toEqual({ listed: 600, missing: 10, gone: 10 });
    expect(await statuses(A.id)).toEqual({ live: 590, gone: 10 });
    // The hub records stay, the other connection is untouched, and nothing was deleted anywhere.
    const gone = await goneFromA();
    expect(gone.total).toBe(10);
    for (const p of gone.items) {
      const eqs = Object.fromEntries(p.equivalences.map((e: { connectionId: string; status: string }) => [e.connectionId, e.status]));
      expect(eqs).toEqual({ [A.id]: 'gone', [B.id]: 'live' });
    }
    expect(await statuses(B.id)).toEqual({ live: 600 });
    expect(b.products.size).toBe(600);
    expect((await hub.api('GET', '/api/products?limit=1')).body.total).toBe(600);
    const one = await hub.api('GET', `/api/products/${gone.items[0].id}`);
    expect(one.body.issues.map((i: { code: string }) => i.code)).toContain('gone');
    const conn = (await hub.api('GET', `/api/connections/${A.id}`)).body;
    expect(conn.clocks.products.cursor).not.toBeNull();
    expect(conn.clocks.products.fullScanAt).toEqual(expect.any(String));

    // A listing that reappears is live again.
    restore();
    await fetchA();
    expect(await statuses(A.id)).toEqual({ live: 600 });
    expect((await goneFromA()).total).toBe(0);
  });

  it('guard: a rescan missing 40% of the listings marks nothing gone and raises an error issue', async () => {
    remove(240);
    await reset(A.id);
    const rescan = await fetchA();
    expect(rescan.deletions).toMatchObject({ listed: 600, missing: 240, gone: 0 });
    expect(rescan.deletions.guard).toContain('240 of its 600');
    expect(await statuses(A.id)).toEqual({ live: 600 });
    const issues = (await hub.api('GET', `/api/issues?connectionId=${A.id}&severity=error`)).body.items;
    const guard = issues.find((i: { code: string }) => i.code === 'mass_delete_guard');
    expect(guard.message).toContain('may be malfunctioning');
    // The platform is back: the next full rescan finds everything and the alert resolves itself.
    restore();
    await reset(A.id);
    expect((await fetchA()).deletions).toEqual({ listed: 600, missing: 0, gone: 0 });
    const after = (await hub.api('GET', `/api/issues?connectionId=${A.id}&severity=error`)).body.items;
    expect(after.filter((i: { code: string }) => i.code === 'mass_delete_guard')).toEqual([]);
  });

  it('guard: an empty rescan marks nothing gone', async () => {
    remove(600);
    await reset(A.id);
    const rescan = await fetchA();
    expect(rescan.scanned).toBe(0);
    expect(rescan.deletions).toMatchObject({ listed: 600, missing: 600, gone: 0 });
    expect(rescan.deletions.guard).toContain('returned no products at all');
    expect(await statuses(A.id)).toEqual({ live: 600 });
    restore();
    await reset(A.id);
    expect((await fetchA()).deletions).toEqual({ listed: 600, missing: 0, gone: 0 });
  });

  it('an interrupted rescan marks nothing gone, and the next fetch rescans fully', async () => {
    remove(5, 300);
    await reset(A.id);
    let analysed = 0;
    const ctx: JobContext = {
      hub: hub.running.hub, jobId: crypto.randomUUID(), signal: new AbortController().signal,
      progress: (_lane, phase, done) => { if (phase === 'analyse') analysed = done; },
      // Stops (as a pause would) once the first page was analysed and committed.
      checkpoint: async () => { if (analysed >= 250) throw new JobStopped('the connection was paused'); },
    };
    const all = await listConnections(hub.running.hub);
    await expect(fetchProducts(ctx, all.find((c) => c.id === A.id)!, all)).rejects.toBeInstanceOf(JobStopped);
    expect(analysed).toBeGreaterThanOrEqual(250);
    expect(await statuses(A.id)).toEqual({ live: 600 });
    expect((await hub.api('GET', `/api/connections/${A.id}`)).body.clocks.products.cursor).toBeNull();

    const next = await fetchA();
    expect(next.deletions).toEqual({ listed: 600, missing: 5, gone: 5 });
    expect(await statuses(A.id)).toEqual({ live: 595, gone: 5 });
    restore();
    await fetchA();
    expect(await statuses(A.id)).toEqual({ live: 600 });
  });

  it('a rescan cut short by paging that repeats itself marks nothing gone', async () => {
    await reset(A.id);
    a.setFaults({ lyingPaging: 'repeat' });
    try {
      const cut = await fetchA();
      expect(cut.complete).toBe(false);
      expect(cut.deletions).toBeUndefined();
    } finally {
      a.setFaults({});
    }
    expect(await statuses(A.id)).toEqual({ live: 600 });
    expect((await hub.api('GET', `/api/connections/${A.id}`)).body.clocks.products.cursor).toBeNull();
  });

  it('resets clocks per entity or all, and answers 404 / 400 for a wrong request', async () => {
    const all = await hub.api('POST', `/api/connections/${B.id}/clocks/reset`);
    expect(all.status).toBe(200);
    expect(all.body.clocks).toMatchObject({ products: { cursor: null }, orders: { cursor: null } });
    const bad = await hub.api('POST', `/api/connections/${B.id}/clocks/reset`, { entity: 'widgets' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('entity');
    const missing = await hub.api('POST', `/api/connections/${crypto.randomUUID()}/clocks/reset`, {});
    expect(missing.status).toBe(404);
  });
});
