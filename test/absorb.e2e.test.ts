import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { demoProduct } from '../src/storefront/catalog.js';
import { storeCreates } from '../src/engine/plan.js';
import { waitForReplan } from '../src/engine/replan.js';

describe.each(DATABASES)('a connection that absorbs products (%s)', (kind) => {
  let hub: TestHub;
  let a: Storefront;
  let b: Storefront;
  let A: any;
  let B: any;
  const db = () => hub.running.hub.db;
  /** A product added to the hub without being planned anywhere (what the send's net is for). */
  const addUnplanned = async (sku: string) => {
    await db().rows(sql`insert into records (entity, sku, data)
      select 'product', ${sku}, jsonb_set(data, '{sku}', to_jsonb(${sku}::text)) from records where entity = 'product' order by created_at limit 1`);
  };
  const skus = () => new Set([...b.products.values()].map((p) => p.sku));

  beforeAll(async () => {
    hub = await startTestHub(kind);
    a = await startStorefront({ key: 'absorb-a-123456', products: 20 });
    b = await startStorefront({ key: 'absorb-b-123456', products: 0 });
    A = await connectShop(hub, 'Source', a);
    B = await connectShop(hub, 'Absorbs', b, { settings: { absorb: { products: true } } });
  });
  afterAll(async () => {
    await hub?.close();
    await a?.close();
    await b?.close();
  });

  it('receives every product, and finds any product it does not hold at its next send, however it was added', async () => {
    expect((await hub.run('fetch', A.id)).state).toBe('completed');
    expect((await hub.run('send', B.id)).summary.send.created).toBe(20);

    // A product nobody planned for B: the next send finds it and creates it.
    await addUnplanned('NET-1');
    const found = await hub.run('send', B.id);
    expect(found.summary.send).toMatchObject({ created: 1, failed: 0 });
    expect(skus().has('NET-1')).toBe(true);

    // Added without moving the records_added sequence: nothing remembered says "nothing was added", so it is found too.
    await db().rows(sql`alter table records disable trigger records_added`);
    try {
      await addUnplanned('NET-2');
    } finally {
      await db().rows(sql`alter table records enable trigger records_added`);
    }
    expect((await hub.run('send', B.id)).summary.send.created).toBe(1);
    expect(skus().has('NET-2')).toBe(true);
    expect((await hub.run('send', B.id)).summary.send.created).toBe(0);
    expect(b.products.size).toBe(22);
  });

  // Only a server has a second transaction open while a send runs (the embedded database has one session).
  it.runIf(kind === 'postgres')('a product added in a transaction still open during a send is created by the next send', async () => {
    const before = b.products.size;
    // The insert moves the sequence at once; its transaction commits only after the send ended.
    await db().tx(async (tx) => {
      await db().rows(sql`insert into records (entity, sku, data)
        select 'product', 'OPEN-1', jsonb_set(data, '{sku}', '"OPEN-1"') from records where entity = 'product' order by created_at limit 1`, tx);
      const blind = await hub.run('send', B.id);
      expect(blind.summary.send.created).toBe(0);
    });
    // Committed now: the next send sees it.
    const next = await hub.run('send', B.id);
    expect(next.summary.send).toMatchObject({ created: 1, failed: 0 });
    expect(skus().has('OPEN-1')).toBe(true);
    expect(b.products.size).toBe(before + 1);
  });
});

/**
 * A fetch stores no creates for a connection that absorbs products (src/engine/unplanned.ts):
 * the hub shows and counts them as planned all the same, and the send of that connection stores
 * them a page at a time right before writing them.
 */
describe.each(DATABASES)('creates owed to an absorbing connection before its send (%s)', (kind) => {
  const N = 1100; // more than two of the send's storing pages
  let hub: TestHub;
  let a: Storefront;
  let b: Storefront;
  let c: Storefront;
  let A: any;
  let B: any;
  let C: any;
  const db = () => hub.running.hub.db;
  const total = async (q: string) => (await hub.api('GET', `/api/products?limit=1&q=${encodeURIComponent(q)}`)).body.total;
  const stored = async (connectionId: string) => {
    const [{ eqs }] = await db().rows<{ eqs: number }>(sql`select count(*)::int as eqs from equivalences where connection_id = ${connectionId}`);
    const [{ pcs }] = await db().rows<{ pcs: number }>(sql`select count(*)::int as pcs from pending_changes where connection_id = ${connectionId}`);
    return { eqs, pcs };
  };

  beforeAll(async () => {
    hub = await startTestHub(kind);
    a = await startStorefront({ key: 'owed-a-1234567', products: N });
    b = await startStorefront({ key: 'owed-b-1234567', products: 0 });
    c = await startStorefront({ key: 'owed-c-1234567', products: 0 });
    A = await connectShop(hub, 'Source', a);
    B = await connectShop(hub, 'Absorbs', b, { settings: { absorb: { products: true } } });
    C = await connectShop(hub, 'Keeps its own', c);
    expect((await hub.run('fetch', A.id)).summary.fetch.created).toBe(N);
  });
  afterAll(async () => {
    await hub?.close();
    await a?.close();
    await b?.close();
    await c?.close();
  });

  it('stores nothing for it at the fetch, yet counts, lists and finds every create it is owed', async () => {
    expect(await stored(B.id)).toEqual({ eqs: 0, pcs: 0 });
    const conn = (await hub.api('GET', `/api/connections/${B.id}`)).body;
    expect(conn.pending).toEqual({ inserts: N, updates: 0, total: N });
    expect(conn.equivalences).toEqual({ pending_insert: N });
    const other = (await hub.api('GET', `/api/connections/${C.id}`)).body;
    expect(other.pending).toEqual({ inserts: 0, updates: 0, total: 0 });
    const stats = (await hub.api('GET', `/api/connections/${B.id}/stats`)).body;
    expect(stats.products).toMatchObject({ records: N, pending: { inserts: N, updates: 0 } });
    expect(stats.products.equivalences).toMatchObject({ pending_insert: N, live: 0, total: N });

    expect(await total('with pending creates to Absorbs')).toBe(N);
    expect(await total('with pending creates')).toBe(N);
    expect(await total('with pending creates to "Keeps its own"')).toBe(0);
    expect(await total('not on Absorbs')).toBe(N);
    expect(await total('on Absorbs')).toBe(0);
    expect(await total('published on Absorbs')).toBe(N);

    const [item] = (await hub.api('GET', '/api/products?limit=1')).body.items;
    expect(item.equivalences).toEqual(expect.arrayContaining([
      expect.objectContaining({ connectionId: A.id, status: 'live' }),
      { connectionId: B.id, externalId: null, status: 'pending_insert', issues: 0, removals: false },
    ]));
    expect(item.equivalences.some((e: any) => e.connectionId === C.id)).toBe(false);
    const detail = (await hub.api('GET', `/api/products/${item.id}`)).body;
    const owed = detail.equivalences.find((e: any) => e.connectionId === B.id);
    expect(owed).toMatchObject({ id: null, externalId: null, status: 'pending_insert', pending: { op: 'insert', attempts: 0, lastError: null } });
    // What the create would write, field by field, as for a stored one.
    expect(owed.pending.changes.map((ch: any) => ch.field)).toEqual(expect.arrayContaining(['title', 'description']));
  });

  it('is stored and created once by its send, page by page', async () => {
    const sent = await hub.run('send', B.id);
    expect(sent.summary.send).toMatchObject({ created: N, failed: 0 });
    expect(b.products.size).toBe(N);
    expect(new Set([...b.products.values()].map((p) => p.sku)).size).toBe(N);
    expect(await stored(B.id)).toEqual({ eqs: N, pcs: 0 });
    expect((await hub.api('GET', `/api/connections/${B.id}`)).body.pending).toEqual({ inserts: 0, updates: 0, total: 0 });
    expect(await total('with pending creates')).toBe(0);
    expect(await total('on Absorbs')).toBe(N);
    // Nothing is owed any more: a second send creates nothing.
    expect((await hub.run('send', B.id)).summary.send.created).toBe(0);
    expect(b.products.size).toBe(N);
  });
  it('withdraws the creates it stored but did not send once it stops absorbing, and keeps one that was sent', async () => {
    // Three products new in the source; a send of B stored their creates and stopped before writing them.
    for (const i of [0, 1, 2]) { const p = demoProduct(5000 + i); a.products.set(p._id!, p); }
    expect((await hub.run('fetch', A.id)).summary.fetch.created).toBe(3);
    const owed = (await db().rows<{ id: string }>(sql`select f.id from record_facts f where f.entity = 'product'
      and not exists (select 1 from listing_facts l where l.connection_id = ${B.id} and l.record_id = f.id)`)).map((r) => r.id);
    expect(owed).toHaveLength(3);
    expect(await db().tx((tx) => storeCreates(db(), tx, B.id, owed))).toBe(3);
    // One of them was sent; its answer was lost: it may be on the platform.
    await db().rows(sql`update equivalences set create_attempted_at = now() where connection_id = ${B.id} and record_id = ${owed[0]}`);
    expect((await hub.api('GET', `/api/connections/${B.id}`)).body.pending.inserts).toBe(3);

    expect((await hub.api('PATCH', `/api/connections/${B.id}`, { settings: { absorb: { products: false } } })).status).toBe(200);
    await waitForReplan(hub.running.hub);
    expect(await stored(B.id)).toEqual({ eqs: N + 1, pcs: 1 });
    expect((await hub.api('GET', `/api/connections/${B.id}`)).body.pending).toEqual({ inserts: 1, updates: 0, total: 1 });
    const withdrawn = (await hub.api('GET', `/api/products/${owed[1]}`)).body;
    expect(withdrawn.equivalences.map((e: any) => e.connectionId)).toEqual([A.id]);
    expect(await total('with pending creates to Absorbs')).toBe(1);

    // Absorbing again: owed again, stored or not.
    expect((await hub.api('PATCH', `/api/connections/${B.id}`, { settings: { absorb: { products: true } } })).status).toBe(200);
    await waitForReplan(hub.running.hub);
    expect((await hub.api('GET', `/api/connections/${B.id}`)).body.pending.inserts).toBe(3);
  });
  it('withdraws a stored create whose product got bound to a listing there before it was sent', async () => {
    const owedNow = (await db().rows<{ id: string }>(sql`select f.id from record_facts f where f.entity = 'product'
      and not exists (select 1 from listing_facts l where l.connection_id = ${B.id} and l.record_id = f.id) order by f.id`)).map((r) => r.id);
    expect(owedNow).toHaveLength(2);
    expect(await db().tx((tx) => storeCreates(db(), tx, B.id, owedNow))).toBe(2);
    // What a fetch of B running alongside the send does when B already has the product: it binds a listing.
    await db().rows(sql`insert into equivalences (connection_id, record_id, entity, external_id, status, last_seen_at)
      values (${B.id}, ${owedNow[0]}, 'product', 'BOUND-1', 'live', now())`);
    const skuOf = async (id: string) => (await hub.api('GET', `/api/products/${id}`)).body.sku;
    const [bound, other] = [await skuOf(owedNow[0]), await skuOf(owedNow[1])];
    const sent = await hub.run('send', B.id);
    expect(sent.summary.send.failed).toBe(0);
    const onB = (sku: string) => [...b.products.values()].filter((p) => p.sku === sku).length;
    expect(onB(bound)).toBe(0);
    expect(onB(other)).toBe(1);
    const eqs = await db().rows<{ external_id: string | null }>(sql`select external_id from equivalences
      where connection_id = ${B.id} and record_id = ${owedNow[0]}`);
    expect(eqs).toEqual([{ external_id: 'BOUND-1' }]);
    expect((await hub.api('GET', `/api/connections/${B.id}`)).body.pending.inserts).toBe(0);
  });
});
