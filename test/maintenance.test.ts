import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { Product } from '../src/model/product.js';
import { checkProduct } from '../src/engine/maintenance.js';

describe('checkProduct', () => {
  it('repairs what the tolerant readers can read, and reports what they would have to drop', () => {
    const fixed = checkProduct({ sku: 'X', variations: [{ sku: 'X-1', availabilities: [{ tag: 'default', quantity: '12' }], prices: [{ tag: 'default', currency: 'mx', amount: '19.90' }] }] });
    expect(fixed.problem).toBeUndefined();
    expect((fixed.value as Product).variations[0]).toMatchObject({ availabilities: [{ quantity: 12 }], prices: [{ currency: 'MXN', amount: 19.9 }] });
    const lost = checkProduct({ sku: 'Y', variations: [{ sku: 'Y-1', prices: [{ tag: 'default', currency: 'USD', amount: 'abc' }] }] });
    expect(lost.problem).toContain('variations[0].prices[0].amount');
    expect(checkProduct('a string').problem).toContain('not an object');
  });
});

/** The integrity fix: re-validate every record, repair what can be, an issue for what cannot, recompute pending changes. */
describe.each(DATABASES)('maintenance: integrity fix (%s)', (kind) => {
  let hub: TestHub;
  const id: Record<string, string> = {};
  const insert = async (key: string, entity: string, data: unknown) => {
    id[key] = crypto.randomUUID();
    await hub.running.hub.db.rows(sql`insert into records (id, entity, sku, data)
      values (${id[key]}, ${entity}, ${key}, ${JSON.stringify(data)}::jsonb)`);
  };
  const integrity = async () => {
    const res = await hub.api('POST', '/api/maintenance/integrity');
    expect(res.status).toBe(202);
    const job = await hub.waitJob(res.body.jobId);
    expect(job).toMatchObject({ type: 'integrity', state: 'completed', connectionId: null });
    return job.summary;
  };

  beforeAll(async () => {
    hub = await startTestHub(kind);
    await hub.api('POST', '/api/connections', {
      name: 'Shop B', kind: 'custom', settings: { absorb: { products: true } },
      config: { productsUrl: 'http://127.0.0.1:9/api/product', ordersUrl: 'http://127.0.0.1:9/api/order', key: 'key-b-1234567' },
    });
    // Records as an older version (or a bug) may have stored them.
    await insert('R1', 'product', Product.parse({ sku: 'R1', title: 'Valid', variations: [{ sku: 'R1-1', prices: [{ tag: 'default', currency: 'USD', amount: 5 }] }] }));
    await insert('R2', 'product', { sku: 'R2', title: 'Old shape', variations: [{ sku: 'R2-1', availabilities: [{ tag: 'default', quantity: 4 }], prices: [{ tag: 'default', currency: 'USD', amount: 10 }] }] });
    await insert('R3', 'product', { sku: 'R3', title: 'Text numbers', variations: [{ sku: 'R3-1', availabilities: [{ tag: 'default', quantity: '12' }], prices: [{ tag: 'default', currency: 'mx', amount: '19.90' }] }] });
    await insert('R4', 'product', { sku: 'R4', title: 'Unreadable price', variations: [{ sku: 'R4-1', prices: [{ tag: 'default', currency: 'USD', amount: 'abc' }] }] });
    await insert('R5', 'product', 'not a product');
    await insert('O1', 'order', { number: '1001', dateCreated: '2026-11-01T10:00:00.000Z' });
    await insert('O2', 'order', { status: 'lost' });
    // Nothing planned yet: the records were written behind the engine's back.
    await hub.running.hub.db.rows(sql`delete from pending_changes`);
    await hub.running.hub.db.rows(sql`delete from equivalences`);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('repairs what it can, raises an issue on what it cannot, recomputes pending changes, and reports it', async () => {
    expect((await hub.api('GET', `/api/products?q=${encodeURIComponent('with stock')}`)).body.total).toBe(1);
    const s = await integrity();
    expect(s).toMatchObject({
      scanned: 7, valid: 4, repaired: 3, invalid: 3, replanned: 4,
      // Shop B absorbs products: it is owed a create of each of the five, stored or not (src/engine/unplanned.ts).
      pendingBefore: { inserts: 5, updates: 0 }, pendingAfter: { inserts: 5, updates: 0 },
    });
    expect(s.repairedExamples.map((e: { recordId: string }) => e.recordId).sort()).toEqual([id.R2, id.R3, id.O1].sort());
    expect(s.repairedExamples.find((e: { recordId: string }) => e.recordId === id.R3).fixes.join(' ')).toContain('MXN');
    expect(s.invalidExamples.map((e: { recordId: string }) => e.recordId).sort()).toEqual([id.R4, id.R5, id.O2].sort());

    const r3 = (await hub.api('GET', `/api/products/${id.R3}`)).body;
    expect(r3.variations[0]).toMatchObject({ barcode: '', availabilities: [{ tag: 'default', quantity: 12 }], prices: [{ currency: 'MXN', amount: 19.9 }] });
    // The facts the sets read follow the repaired record.
    expect((await hub.api('GET', `/api/products?q=${encodeURIComponent('with stock')}`)).body.total).toBe(2);
    const history = (await hub.api('GET', `/api/products/${id.R3}/history`)).body.items;
    expect(history.map((h: { source: { type: string } }) => h.source.type)).toEqual(history.map(() => 'maintenance'));
    expect(history.find((h: { field: string }) => h.field === 'variations').newValue[0].prices).toEqual([{ tag: 'default', currency: 'MXN', amount: 19.9 }]);
    expect(r3.equivalences).toEqual([expect.objectContaining({ status: 'pending_insert', pending: expect.objectContaining({ op: 'insert' }) })]);

    const r4 = (await hub.api('GET', `/api/issues?recordId=${id.R4}`)).body.items;
    expect(r4).toEqual([expect.objectContaining({ severity: 'error', code: 'record_invalid' })]);
    expect(r4[0].message).toContain('variations[0].prices[0].amount');
    const o2 = (await hub.api('GET', `/api/issues?recordId=${id.O2}`)).body.items;
    expect(o2[0].message).toContain('number');
    expect((await hub.api('GET', `/api/orders/${id.O1}`)).body).toMatchObject({ number: '1001', status: 'pending', lines: [] });
  });

  it('changes nothing more when run again, and resolves the issue of a record fixed since', async () => {
    const again = await integrity();
    expect(again).toMatchObject({ scanned: 7, valid: 4, repaired: 0, invalid: 3, pendingAfter: { inserts: 5 } });
    expect((await hub.api('GET', '/api/issues?severity=error')).body.items).toHaveLength(3);
    await hub.running.hub.db.rows(sql`update records set data = jsonb_set(data, '{variations,0,prices,0,amount}', '12.5') where id = ${id.R4}`);
    const third = await integrity();
    expect(third).toMatchObject({ valid: 5, repaired: 1, invalid: 2, pendingAfter: { inserts: 5 } });
    expect((await hub.api('GET', `/api/issues?recordId=${id.R4}`)).body.items).toEqual([]);
  });
});

/** The integrity fix runs in the process that started it: leased like a worker's job, and failed (never queued) once that process is gone. */
describe.each(DATABASES)('maintenance: the integrity job and the reaper (%s)', (kind) => {
  let hub: TestHub;
  beforeAll(async () => { hub = await startTestHub(kind); });
  afterAll(async () => { await hub?.close(); });

  it('holds a lease while it runs and gives it back when it ends', async () => {
    const res = await hub.api('POST', '/api/maintenance/integrity');
    expect(res.status).toBe(202);
    const [seen] = await hub.running.hub.db.rows<{ state: string; lease_owner: string | null; leased: boolean }>(sql`
      select state, lease_owner, lease_expires_at > now() as leased from jobs where id = ${res.body.jobId}`);
    // On a small hub the fix may be over already: a running one must be leased, by this process.
    if (seen.state === 'running') expect(seen).toMatchObject({ lease_owner: hub.running.hub.owner, leased: true });
    else expect(seen).toMatchObject({ state: 'completed', lease_owner: null });
    // The reaper leaves a leased fix alone.
    expect((await hub.running.queue.reap()).failed).not.toContain(res.body.jobId);
    const job = await hub.waitJob(res.body.jobId);
    expect(job.state).toBe('completed');
    const [done] = await hub.running.hub.db.rows<{ lease_owner: string | null }>(sql`select lease_owner from jobs where id = ${res.body.jobId}`);
    expect(done.lease_owner).toBeNull();
  });

  it('fails the fix of a process that stopped, with a clear error, instead of queueing it for no one', async () => {
    const [{ id }] = await hub.running.hub.db.rows<{ id: string }>(sql`insert into jobs (type, connection_id, state, phase, started_at, attempts, lease_owner, lease_expires_at)
      values ('integrity', null, 'running', 'validate', now(), 1, 'elsewhere/1', now() - interval '1 second') returning id`);
    const reaped = await hub.running.queue.reap();
    expect(reaped.failed).toContain(id);
    expect(reaped.requeued).not.toContain(id);
    const job = (await hub.api('GET', `/api/jobs/${id}`)).body;
    expect(job).toMatchObject({ state: 'failed', error: expect.stringContaining('integrity fix stopped; start it again') });
    // And a new one can be started.
    const res = await hub.api('POST', '/api/maintenance/integrity');
    expect(res.body.jobId).not.toBe(id);
    expect((await hub.waitJob(res.body.jobId)).state).toBe('completed');
  });
});
