import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { Product, type Variation } from '../src/model/product.js';
import { compileSet } from '../src/engine/sets.js';

/**
 * Every set of SPEC section 6 against a seeded database with known answers:
 * six products on three connections (two custom, one of kind "vendure"), six orders.
 */
type V = Partial<Variation> & { qty?: number; price?: number | null };
const variation = ({ qty, price, ...v }: V): Partial<Variation> => ({
  ...v,
  availabilities: qty === undefined ? [] : [{ tag: 'default', quantity: qty }],
  prices: price === undefined || price === null ? [] : [{ tag: 'default', currency: 'USD', amount: price }],
});
const product = (sku: string, p: Partial<Product>, vs: V[]) => Product.parse({ sku, title: sku, description: 'd', ...p, variations: vs.map(variation) });

const PRODUCTS = {
  P1: product('JBL-1', { brand: 'JBL', categories: ['Audio'] }, [{ sku: 'JBL-1-S', barcode: '7501', size: 'S', color: 'Black', images: ['i'], qty: 3, price: 100 }]),
  P2: product('JBL-2', { brand: 'jbl', categories: ['Audio'] }, [{ sku: 'JBL-2-XL', barcode: '', size: 'XL', color: 'Red', images: [], qty: 50, price: 0.5 }]),
  P3: product('SONY-1', { brand: 'Sony', categories: [] }, [{ sku: 'SONY-1-M', barcode: '7503', size: 'M', color: 'black', images: ['i'], qty: 0, price: 200 }]),
  P4: product('SONY-2', { brand: 'Sony', categories: ['Audio', 'Pro'] }, [
    { sku: 'SONY-2-A', barcode: '7504', size: 'L', color: 'Blue', images: ['i'], qty: 10, price: 30 },
    { sku: 'SONY-2-B', barcode: '', size: 'XL', color: 'Blue', images: [], qty: 0, price: null },
  ]),
  P5: product('BOSE-1', { brand: 'Bose', status: 'unpublished', categories: ['Audio'], description: 'Nice' }, [
    { sku: 'BOSE-1-U', barcode: '7505', size: '', color: '', images: ['i'], qty: 7, price: 0 },
  ]),
  P6: product('NONE-1', { brand: '', description: '', tags: ['x'], categories: [] }, []),
};
type Key = keyof typeof PRODUCTS;

const day = (y: number, m: number, d: number, h: number) => new Date(y, m - 1, d, h).toISOString();
const ORDERS = {
  O1: { number: '1001', dateCreated: day(2026, 11, 18, 9) },
  O2: { number: '1002', dateCreated: day(2026, 11, 17, 20) },
  O3: { number: '1003', dateCreated: day(2026, 11, 10, 10) },
  O4: { number: '1004', dateCreated: day(2026, 10, 31, 10) },
  O5: { number: '1005', dateCreated: day(2025, 12, 31, 23) },
  O6: { number: '1006', dateCreated: null },
  O7: { number: '1007', dateCreated: new Date().toISOString() },
};
/** Wednesday 18 November 2026, noon (local time): what "today", "last week"... are relative to. */
const NOW = new Date(2026, 10, 18, 12);

describe.each(DATABASES)('sets (%s)', (kind) => {
  let hub: TestHub;
  const ids: Record<string, string> = {};
  const conn: Record<'A' | 'B' | 'V', string> = { A: '', B: '', V: '' };
  const skuOf = new Map<string, string>();

  const db = () => hub.running.hub.db;
  const insertEq = async (c: string, record: string, entity: string, ext: string | null, status: string, ack: unknown, op?: 'insert' | 'update') => {
    const [eq] = await db().rows<{ id: string }>(sql`insert into equivalences (connection_id, record_id, entity, external_id, ack, status)
      values (${c}, ${record}, ${entity}, ${ext}, ${ack === null ? null : JSON.stringify(ack)}::jsonb, ${status}) returning id`);
    if (op) {
      await db().rows(sql`insert into pending_changes (equivalence_id, connection_id, record_id, op, changes)
        values (${eq.id}, ${c}, ${record}, ${op}, '[]'::jsonb)`);
    }
    return eq.id;
  };
  const ack = (k: Key, over: Partial<Product>) => ({ ...PRODUCTS[k], ...over });

  beforeAll(async () => {
    hub = await startTestHub(kind);
    for (const [k, name] of [['A', 'Shop A'], ['B', 'Shop B']] as const) {
      const res = await hub.api('POST', '/api/connections', {
        name, kind: 'custom', config: { productsUrl: 'http://127.0.0.1:9/api/product', ordersUrl: 'http://127.0.0.1:9/api/order', key: 'key-123456789' },
      });
      conn[k] = res.body.id;
    }
    // A connection of another kind, as a Vendure connector would make it.
    const [v] = await db().rows<{ id: string }>(sql`insert into connections (name, kind, config, settings)
      values ('Vendure EU', 'vendure', '{}'::jsonb, '{}'::jsonb) returning id`);
    conn.V = v.id;
    for (const [k, data] of Object.entries(PRODUCTS)) {
      ids[k] = crypto.randomUUID();
      skuOf.set(ids[k], data.sku);
      await db().rows(sql`insert into records (id, entity, sku, data) values (${ids[k]}, 'product', ${data.sku}, ${JSON.stringify(data)}::jsonb)`);
    }
    for (const [k, data] of Object.entries(ORDERS)) {
      ids[k] = crypto.randomUUID();
      skuOf.set(ids[k], data.number);
      await db().rows(sql`insert into records (id, entity, sku, data) values (${ids[k]}, 'order', '', ${JSON.stringify(data)}::jsonb)`);
    }
    const { A, B, V } = conn;
    const p1a = await insertEq(A, ids.P1, 'product', 'a1', 'live', ack('P1', { status: 'published', categories: ['Audio'] }));
    await insertEq(A, ids.P2, 'product', 'a2', 'live', ack('P2', { status: 'unpublished', categories: [] }));
    await insertEq(A, ids.P3, 'product', 'a3', 'gone', ack('P3', {}));
    await insertEq(A, ids.P4, 'product', 'a4', 'pending_update', ack('P4', { status: 'published' }), 'update');
    await insertEq(A, ids.P5, 'product', 'a5', 'error', ack('P5', { status: 'unpublished', categories: ['Audio'] }));
    await insertEq(B, ids.P1, 'product', null, 'pending_insert', null, 'insert');
    await insertEq(B, ids.P2, 'product', 'b2', 'live', ack('P2', { status: 'published', categories: [] }));
    await insertEq(B, ids.P6, 'product', 'b6', 'live', ack('P6', { status: 'published', categories: ['Speakers'] }));
    await insertEq(V, ids.P3, 'product', 'v3', 'live', ack('P3', { status: 'published', categories: ['audio', 'Pro'] }));
    await insertEq(V, ids.P4, 'product', null, 'pending_insert', null, 'insert');
    await insertEq(A, ids.O1, 'order', 'oa1', 'live', ORDERS.O1);
    await insertEq(B, ids.O2, 'order', null, 'pending_insert', null, 'insert');
    await insertEq(A, ids.O3, 'order', 'oa3', 'pending_update', ORDERS.O3, 'update');
    const issue = (i: { connection: string | null; record?: string; eq?: string; ext?: string; severity: string; resolved?: boolean }) => db().rows(sql`
      insert into issues (connection_id, record_id, equivalence_id, entity, external_id, severity, code, message, origin, dedupe_key, resolved_at)
      values (${i.connection}, ${i.record ?? null}, ${i.eq ?? null}, 'product', ${i.ext ?? null}, ${i.severity}, 'test', 'A test issue', 'send',
        ${crypto.randomUUID()}, ${i.resolved ? new Date().toISOString() : null})`);
    await issue({ connection: A, record: ids.P4, severity: 'error' });
    // Raised while reading: names the listing, not the record.
    await issue({ connection: A, ext: 'a2', severity: 'warning' });
    await issue({ connection: A, eq: p1a, severity: 'notice' });
    await issue({ connection: A, record: ids.P5, severity: 'error', resolved: true });
  });
  afterAll(async () => {
    await hub?.close();
  });

  const products = async (q: string): Promise<string[]> => {
    const res = await hub.api('GET', `/api/products?limit=1000&q=${encodeURIComponent(q)}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.total).toBe(res.body.items.length);
    return res.body.items.map((p: { sku: string }) => p.sku).sort();
  };
  const skus = (...keys: Key[]) => keys.map((k) => PRODUCTS[k].sku).sort();

  it.each([
    ['', ['P1', 'P2', 'P3', 'P4', 'P5', 'P6']],
    ['on "Shop A"', ['P1', 'P2', 'P4', 'P5']],
    ['on shop a', ['P1', 'P2', 'P4', 'P5']],
    ['products on "Shop A"', ['P1', 'P2', 'P4', 'P5']],
    ['on custom', ['P1', 'P2', 'P4', 'P5', 'P6']],
    ['on Vendure', ['P3']],
    ['on "Vendure EU"', ['P3']],
    ['not on "Shop B"', ['P1', 'P3', 'P4', 'P5']],
    ['gone from "Shop A"', ['P3']],
    ['on "Shop A" category Audio', ['P1', 'P4', 'P5']],
    ['on Vendure category audio', ['P3', 'P4']],
    ['on Vendure category "Pro"', ['P3', 'P4']],
    ['on "Shop B" category Speakers', ['P6']],
    ['without "Shop B" category', ['P2']],
    ['without "Shop A" category', ['P2']],
    ['active on "Shop A"', ['P1', 'P4']],
    ['paused on "Shop A"', ['P2', 'P5']],
    ['published on "Shop B"', ['P1', 'P2', 'P6']],
    ['unpublished on "Shop A"', ['P2', 'P5']],
    ['published on Vendure', ['P3', 'P4']],
    ['with pending updates to "Shop A"', ['P4']],
    ['with pending creates to "Shop B"', ['P1']],
    ['with pending creates to vendure', ['P4']],
    ['with pending creates', ['P1', 'P4']],
    ['with pending updates', ['P4']],
    ['with issues', ['P2', 'P4']],
    ['without issues', ['P1', 'P3', 'P5', 'P6']],
    ['with errors', ['P4']],
    ['with warnings', ['P2']],
    ['with notices', ['P1']],
    ['with low-stock', ['P1']],
    ['with low stock', ['P1']],
    ['out-of-stock', ['P3', 'P6']],
    ['out of stock', ['P3', 'P6']],
    ['with stock', ['P1', 'P2', 'P4', 'P5']],
    ['without stock', ['P3', 'P6']],
    ['with low-price', ['P2']],
    ['bad price', ['P4', 'P5', 'P6']],
    ['with bad price', ['P4', 'P5', 'P6']],
    ['with barcode', ['P1', 'P3', 'P4', 'P5']],
    ['without barcode', ['P2', 'P6']],
    ['with images', ['P1', 'P3', 'P4', 'P5']],
    ['without images', ['P2', 'P6']],
    ['without brand', ['P6']],
    ['with description', ['P1', 'P2', 'P3', 'P4', 'P5']],
    ['without description', ['P6']],
    ['with size', ['P1', 'P2', 'P3', 'P4']],
    ['without color', ['P5', 'P6']],
    ['with price', ['P1', 'P2', 'P3', 'P4', 'P5']],
    ['without price', ['P6']],
    ['with categories', ['P1', 'P2', 'P4', 'P5']],
    ['without category', ['P3', 'P6']],
    ['without variations', ['P6']],
    ['with tags', ['P6']],
    ['with mpn', []],
    ['of brand JBL', ['P1', 'P2']],
    ['OF BRAND sony', ['P3', 'P4']],
    ['of brand "Bang & Olufsen"', []],
    ['of size XL', ['P2', 'P4']],
    ['of size xl', ['P2', 'P4']],
    ['of color black', ['P1', 'P3']],
    ['of colour Blue', ['P4']],
    ['of category audio', ['P1', 'P2', 'P4', 'P5']],
    ['sku SONY-2-B', ['P4']],
    ['sku JBL-1', ['P1']],
    ['of brand JBL, without barcode', ['P2']],
    ['of brand Sony, on Vendure', ['P3']],
    ['products of brand JBL, with low-stock, on "Shop A"', ['P1']],
    ['of brand JBL, without barcode, with low-stock, on "Shop B"', []],
    ['with stock, bad price, with issues', ['P4']],
    [' , of brand jbl ,, ', ['P1', 'P2']],
  ] as [string, Key[]][])('products %j', async (q, expected) => {
    expect(await products(q)).toEqual(skus(...expected));
  });

  it('takes the low-stock threshold from the connection the expression names', async () => {
    const res = await hub.api('PATCH', `/api/connections/${conn.A}`, { settings: { thresholds: { lowStock: 10 } } });
    expect(res.status).toBe(200);
    expect(await products('with low-stock, on "Shop A"')).toEqual(skus('P1', 'P4', 'P5'));
    expect(await products('with low-stock')).toEqual(skus('P1'));
    await hub.api('PATCH', `/api/connections/${conn.A}`, { settings: { thresholds: { lowStock: 5 } } });
  });

  it('pages through a set with a cursor, keeping the total', async () => {
    const first = await hub.api('GET', `/api/products?limit=2&q=${encodeURIComponent('with stock')}`);
    expect(first.body).toMatchObject({ total: 4 });
    expect(first.body.items).toHaveLength(2);
    const second = await hub.api('GET', `/api/products?limit=2&q=${encodeURIComponent('with stock')}&cursor=${first.body.nextCursor}`);
    expect(second.body.total).toBe(4);
    expect(second.body.nextCursor).toBeNull();
    expect([...first.body.items, ...second.body.items].map((p: { sku: string }) => p.sku).sort()).toEqual(skus('P1', 'P2', 'P4', 'P5'));
  });

  it.each([
    ['of today', ['1001']],
    ['today', ['1001']],
    ['of yesterday', ['1002']],
    ['of this week', ['1001', '1002']],
    ['of last week', ['1003']],
    ['of this month', ['1001', '1002', '1003']],
    ['of last month', ['1004']],
    ['of this year', ['1001', '1002', '1003', '1004']],
    ['of last year', ['1005']],
    ['of 2026', ['1001', '1002', '1003', '1004']],
    ['of 2026 11', ['1001', '1002', '1003']],
    ['of 2026 10', ['1004']],
    ['of november 2026', ['1001', '1002', '1003']],
    ['of 2025 12', ['1005']],
    ['orders of 2025', ['1005']],
    ['on "Shop A"', ['1001', '1003']],
    ['with pending creates to "Shop B"', ['1002']],
    ['with pending updates to "Shop A"', ['1003']],
    ['number 1004', ['1004']],
    ['of 2026, on "Shop A"', ['1001', '1003']],
  ])('orders %j (relative to Wednesday 18 November 2026)', async (q, expected) => {
    const where = await compileSet(hub.running.hub, 'order', q, { now: NOW });
    const rows = await db().rows<{ number: string }>(sql`select x.data->>'number' as number
      from record_facts r join records x on x.id = r.id
      where r.entity = 'order' and (${where}) and x.data->>'number' <> '1007' order by 1`);
    expect(rows.map((r) => r.number)).toEqual(expected);
  });

  it('answers order sets over HTTP, "of today" being today', async () => {
    const res = await hub.api('GET', `/api/orders?q=${encodeURIComponent('of today')}`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((o: { number: string }) => o.number)).toContain('1007');
    for (const o of res.body.items) expect(new Date(o.dateCreated).toDateString()).toBe(new Date().toDateString());
    const onA = await hub.api('GET', `/api/orders?q=${encodeURIComponent('on "Shop A"')}`);
    expect(onA.body.items.map((o: { number: string }) => o.number).sort()).toEqual(['1001', '1003']);
  });

  it.each([
    ['of brnd JBL', '"brnd"', 'of brand JBL'],
    ['with colr', '"colr"', 'with color'],
    ['with low-stok', '"stok"', 'with low stock'],
    ['without "Shop A" categry', '"categry"', 'category'],
    ['on "Shop Z"', '"Shop Z"', 'Shop A'],
    ['with pending updates to Shopify', '"Shopify"', 'Connections: "Shop A", "Shop B", "Vendure EU"'],
    ['of brand', 'not complete', 'of brand BRAND'],
    ['of 2026 11', 'set of orders', ''],
    ['frobnicate everything', '"frobnicate"', 'GET /api/sets'],
    ['of brand "JBL', 'double quote is not closed', ''],
  ])('a wrong expression %j is a 400 naming the word and the closest set', async (q, word, suggestion) => {
    const res = await hub.api('GET', `/api/products?q=${encodeURIComponent(q)}`);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('q');
    expect(res.body.error.message).toContain(word);
    expect(res.body.error.message).toContain(suggestion);
  });

  it('rejects a product set on orders and a wrong month', async () => {
    const brand = await hub.api('GET', `/api/orders?q=${encodeURIComponent('of brand JBL')}`);
    expect(brand.status).toBe(400);
    expect(brand.body.error.message).toContain('set of products');
    const month = await hub.api('GET', `/api/orders?q=${encodeURIComponent('of 2026 13')}`);
    expect(month.status).toBe(400);
    expect(month.body.error.message).toContain('"13"');
  });

  it('keeps injection attempts as values: no error, no match, nothing changed', async () => {
    const attempts = [
      `of brand "x'); drop table records; --"`,
      `of brand "' or '1'='1"`,
      `of size "xl' or 1=1 --"`,
      `of color "$1"`,
      `of category "audio') or true or ('"`,
      `sku "' union select id from connections --"`,
      `of brand "%"`,
      `of size ".*"`,
      `of category "\\\\"`,
      `sku "JBL-1' or sku <> '"`,
      `on "Shop A" category "Audio' or '1'='1"`,
    ];
    for (const q of attempts) expect(await products(q), q).toEqual([]);
    const quote = await hub.api('GET', `/api/products?q=${encodeURIComponent('of size "xl\\" or 1=1"')}`);
    expect(quote.status).toBe(400);
    expect(quote.body.error.message).toContain('double quote');
    const named = await hub.api('GET', `/api/products?q=${encodeURIComponent(`on "Shop A' or '1'='1"`)}`);
    expect(named.status).toBe(400);
    expect(named.body.error.message).toContain('no connection');
    const [{ n }] = await db().rows<{ n: number }>(sql`select count(*)::int as n from records`);
    expect(n).toBe(Object.keys(PRODUCTS).length + Object.keys(ORDERS).length);
    expect(await products('')).toEqual(skus('P1', 'P2', 'P3', 'P4', 'P5', 'P6'));
  });

  it('lists the sets for autocomplete', async () => {
    const p = await hub.api('GET', '/api/sets?entity=products');
    expect(p.status).toBe(200);
    const sets = p.body.items.map((i: { set: string }) => i.set);
    for (const s of ['on CONNECTION', 'with FIELD', 'without FIELD', 'of brand BRAND', 'of size SIZE', 'of color COLOR',
      'active on CONNECTION', 'paused on CONNECTION', 'published on CONNECTION', 'unpublished on CONNECTION', 'with issues',
      'without issues', 'with low-stock', 'out-of-stock', 'with stock', 'with low-price', 'bad price',
      'on CONNECTION category CATEGORY', 'without CONNECTION category', 'with pending updates to CONNECTION',
      'with pending creates to CONNECTION']) expect(sets).toContain(s);
    expect(p.body.connections.map((c: { name: string }) => c.name)).toEqual(['Shop A', 'Shop B', 'Vendure EU']);
    expect(p.body.kinds).toEqual(['custom', 'vendure']);
    expect(p.body.fields).toContain('barcode');
    // Every example listed is itself a valid expression.
    for (const i of p.body.items) {
      const res = await hub.api('GET', `/api/products?q=${encodeURIComponent(i.example)}`);
      expect(res.status, `${i.example}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    const o = await hub.api('GET', '/api/sets?entity=orders');
    const orderSets = o.body.items.map((i: { set: string }) => i.set);
    for (const s of ['on CONNECTION', 'with pending updates to CONNECTION', 'with pending creates to CONNECTION', 'of YEAR MONTH',
      'of YEAR', 'of this month', 'of this year', 'of last week', 'of yesterday', 'of today']) expect(orderSets).toContain(s);
    expect(orderSets).not.toContain('of brand BRAND');
    const bad = await hub.api('GET', '/api/sets?entity=widgets');
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('entity');
  });
});
