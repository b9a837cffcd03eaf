import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { writeHistory } from '../src/engine/history.js';

/** "Why did my price change?": history of changes from connections and users, and edits in the hub that propagate. */
describe.each(DATABASES)('history and edits in the hub (%s)', (kind) => {
  let hub: TestHub;
  let a: Storefront;
  let b: Storefront;
  let c: Storefront;
  let A: { id: string };
  let B: { id: string };
  let C: { id: string };
  let product: { id: string; sku: string; variations: { sku: string }[] };

  const pending = async (connectionId: string) => {
    const rec = (await hub.api('GET', `/api/products/${product.id}`)).body;
    return rec.equivalences.find((e: { connectionId: string }) => e.connectionId === connectionId).pending;
  };

  beforeAll(async () => {
    a = await startStorefront({ key: 'key-a-1234567', products: 5 });
    b = await startStorefront({ key: 'key-b-1234567', products: [] });
    c = await startStorefront({ key: 'key-c-1234567', products: [] });
    hub = await startTestHub(kind);
    A = await connectShop(hub, 'Shop A', a);
    B = await connectShop(hub, 'Shop B', b, { settings: { absorb: { products: true } } });
    C = await connectShop(hub, 'Shop C', c, { settings: { absorb: { products: true }, fields: { title: { write: false } } } });
    await hub.run('fetch', A.id);
    await hub.run('send', B.id);
    await hub.run('send', C.id);
    const sku = [...a.products.values()][2].sku as string;
    product = (await hub.api('GET', `/api/products?q=${encodeURIComponent(`sku ${sku}`)}`)).body.items[0];
  });
  afterAll(async () => {
    await hub?.close();
    await a?.close();
    await b?.close();
    await c?.close();
  });

  it('says which connection changed a price, when, from what to what, and the change reaches the others', async () => {
    const first = [...a.products.values()][2].variations![0];
    const vsku = first.sku;
    const before = Number(first.prices![0].number);
    first.prices![0].number = '321.00';
    expect((await hub.run('fetch', A.id)).summary.fetch.changed).toBe(1);
    const res = await hub.api('GET', `/api/products/${product.id}/history?field=price`);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    const h = res.body.items[0];
    expect(h).toMatchObject({
      field: `variations[${vsku}].prices`,
      source: { type: 'connection', id: A.id, name: 'Shop A' },
      oldValue: [{ tag: 'default', currency: expect.any(String), amount: before }],
      newValue: [{ tag: 'default', currency: expect.any(String), amount: 321 }],
      jobId: expect.any(String),
    });
    expect(new Date(h.at).getTime()).toBeLessThanOrEqual(Date.now());
    expect((await pending(B.id)).changes.map((x: { path: string }) => x.path)).toEqual([`variations[${vsku}].prices`]);
    expect((await hub.run('send', B.id)).summary.send.updated).toBe(1);
    const onB = [...b.products.values()].find((p) => p.sku === product.sku)!;
    expect(Number(onB.variations![0].prices![0].number)).toBe(321);
  });

  it('PATCH changes the record, keeps a user entry in the history, and plans it where the field is written', async () => {
    const res = await fetch(`${hub.url}/api/products/${product.id}`, {
      method: 'PATCH', headers: { 'content-type': 'application/json', 'x-channelsync-user': 'maria' },
      body: JSON.stringify({ title: 'JBL EON 618S, refurbished' }),
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.title).toBe('JBL EON 618S, refurbished');
    expect(body.changed).toEqual(['title']);
    const [latest] = (await hub.api('GET', `/api/products/${product.id}/history`)).body.items;
    expect(latest).toMatchObject({ field: 'title', newValue: 'JBL EON 618S, refurbished', source: { type: 'user', id: 'maria' } });
    expect((await pending(B.id))).toMatchObject({ op: 'update', changes: [{ path: 'title', new: 'JBL EON 618S, refurbished' }] });
    // Shop C does not write titles: only the earlier price change waits for it.
    expect((await pending(C.id)).changes.map((x: { path: string }) => x.path)).not.toContain('title');
    expect(await pending(A.id)).toMatchObject({ op: 'update', changes: [{ path: 'title' }] });
    expect((await hub.run('send', B.id)).summary.send.updated).toBe(1);
    expect([...b.products.values()].find((p) => p.sku === product.sku)!.title).toBe('JBL EON 618S, refurbished');
    expect((await hub.run('fetch', B.id)).summary.fetch).toMatchObject({ changed: 0, created: 0 });
  });

  it('PATCH of a variation is matched by sku and reaches every connection that writes prices', async () => {
    const vsku = product.variations[1].sku;
    const res = await hub.api('PATCH', `/api/products/${product.id}`, {
      variations: [{ sku: vsku, prices: [{ tag: 'default', currency: 'USD', amount: 77 }] }],
    });
    expect(res.status).toBe(200);
    expect(res.body.changed).toEqual([`variations[${vsku}].prices`]);
    expect(res.body.variations.find((v: { sku: string }) => v.sku === vsku).prices).toEqual([{ tag: 'default', currency: 'USD', amount: 77 }]);
    for (const id of [A.id, B.id, C.id]) {
      expect((await pending(id)).changes.map((x: { path: string }) => x.path), id).toContain(`variations[${vsku}].prices`);
    }
    const again = await hub.api('PATCH', `/api/products/${product.id}`, { variations: [{ sku: vsku, prices: [{ tag: 'default', currency: 'USD', amount: 77 }] }] });
    expect(again.body.changed).toEqual([]);
    const history = (await hub.api('GET', `/api/products/${product.id}/history?field=price`)).body.items;
    expect(history.map((h: { source: { type: string } }) => h.source.type)).toEqual(['user', 'connection']);
  });

  it.each([
    [{ title: 5 }, 'title'],
    [{ colour: 'red' }, 'colour'],
    [{ status: 'hidden' }, 'status'],
    [{ variations: [{ sku: 'X', prices: [{ tag: 'default', currency: 'usd', amount: 1 }] }] }, 'variations[0].prices[0].currency'],
    [{ variations: [{ prices: [] }] }, 'variations[0].sku'],
    [{ variations: 'all of them' }, 'variations'],
    [[1, 2], 'body'],
  ])('PATCH %j is a 400 naming %s', async (body, field) => {
    const res = await hub.api('PATCH', `/api/products/${product.id}`, body);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
    expect(res.body.error.message).toContain(field);
  });

  it('answers 404 for unknown records and pages long histories', async () => {
    expect((await hub.api('PATCH', `/api/products/${crypto.randomUUID()}`, { title: 'x' })).status).toBe(404);
    expect((await hub.api('GET', `/api/products/${crypto.randomUUID()}/history`)).status).toBe(404);
    expect((await hub.api('GET', `/api/orders/${product.id}/history`)).status).toBe(404);
    for (let i = 0; i < 3; i++) await hub.api('PATCH', `/api/products/${product.id}`, { description: `take ${i}` });
    const first = (await hub.api('GET', `/api/products/${product.id}/history?field=description&limit=2`)).body;
    expect(first.items.map((h: { newValue: string }) => h.newValue)).toEqual(['take 2', 'take 1']);
    const second = (await hub.api('GET', `/api/products/${product.id}/history?field=description&limit=2&cursor=${first.nextCursor}`)).body;
    expect(second.items.map((h: { newValue: string }) => h.newValue)).toEqual(['take 0']);
    expect(second.nextCursor).toBeNull();
  });

  it('gives the history of an order', async () => {
    const db = hub.running.hub.db;
    const id = crypto.randomUUID();
    await db.rows(sql`insert into records (id, entity, sku, data) values (${id}, 'order', '', ${JSON.stringify({ number: '42' })}::jsonb)`);
    await writeHistory(db, [
      { record_id: id, field: 'status', old_value: 'paid', new_value: 'shipped', source_type: 'connection', source_id: A.id },
      { record_id: id, field: 'lines', old_value: null, new_value: [{ sku: 'X', quantity: 1 }], source_type: 'reservation', source_id: null },
    ]);
    const res = await hub.api('GET', `/api/orders/${id}/history`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((h: { field: string; source: { type: string; name?: string } }) => [h.field, h.source.type, h.source.name ?? null]))
      .toEqual([['lines', 'reservation', null], ['status', 'connection', 'Shop A']]);
  });
});
