import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts, connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront, type StoreProduct } from '../src/storefront/server.js';

const bySku = (shop: Storefront) => new Map([...shop.products.values()].map((p) => [p.sku!, p]));
const variations = (p: StoreProduct) => p.variations!.map((v) => ({
  sku: v.sku!, price: Number(v.prices?.[0]?.number), quantity: Number(v.availabilities?.[0]?.quantity), hasPrices: (v.prices ?? []).length > 0,
}));
const writesSince = (shop: Storefront, n: number) => shop.requests.slice(n).map((r) => r.body as Record<string, any>);

describe.each(DATABASES)('connection settings shape what is written (%s)', (kind) => {
  let hub: TestHub;
  let a: Storefront;
  let b: Storefront;
  let c: Storefront;
  let A: any;
  let B: any;
  let C: any;
  beforeAll(async () => {
    hub = await startTestHub(kind);
    a = await startStorefront({ key: 'rules-a-123456', products: 8 });
    b = await startStorefront({ key: 'rules-b-123456', products: [] });
    c = await startStorefront({ key: 'rules-c-123456', products: [] });
    A = await connectShop(hub, 'Source', a);
    B = await connectShop(hub, 'Marked up', b, {
      settings: { absorb: { products: true }, price: { marginPercent: 10, add: 1, round: 'cents99' }, stock: { buffer: 5, max: 20 } },
    });
    C = await connectShop(hub, 'No prices', c, { settings: { absorb: { products: true }, fields: { price: { write: false } } } });
    expect((await hub.run('fetch', A.id)).state).toBe('completed');
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all([a, b, c].map((s) => s?.close()));
  });

  it('price rules (margin, add, cents99) and stock rules (buffer, max) apply to what the absorbing connection gets', async () => {
    const sent = await hub.run('send', B.id);
    expect(sent.summary.send.created).toBe(8);
    const onB = bySku(b);
    let checked = 0;
    for (const p of a.products.values()) {
      const got = variations(onB.get(p.sku!)!);
      variations(p).forEach((v, i) => {
        expect(got[i].sku).toBe(v.sku);
        expect(got[i].price).toBe(Math.floor(v.price * 1.1 + 1) + 0.99);
        expect(got[i].quantity).toBe(Math.min(Math.max(0, v.quantity - 5), 20));
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(16);
    // The hub keeps the source's values: the rules live only on the connection.
    const hubProduct = (await allProducts(hub)).find((p) => p.sku === [...a.products.values()][0].sku);
    expect(hubProduct.variations[0].prices[0].amount).toBe(Number([...a.products.values()][0].variations![0].prices![0].number));
    // Echo guard: reading B back is no change, even though its prices differ from the hub's.
    expect((await hub.run('fetch', B.id)).summary.fetch).toMatchObject({ unchanged: 8, changed: 0 });
  });

  it('changing the rules re-plans and sends only prices and stock', async () => {
    const res = await hub.api('PATCH', `/api/connections/${B.id}`, { settings: { price: { marginPercent: 0, add: 0, round: 'integer' }, stock: { buffer: 0, max: null } } });
    expect(res.status).toBe(200);
    expect(res.body.settings.price).toEqual({ marginPercent: 0, add: 0, round: 'integer' });
    expect(res.body.settings.absorb.products).toBe(true);
    const before = b.requests.length;
    const sent = await hub.run('send', B.id);
    expect(sent.summary.send).toMatchObject({ updated: 8, created: 0, failed: 0 });
    for (const body of writesSince(b, before)) {
      expect(Object.keys(body)).toEqual(['variations']);
      for (const v of body.variations) expect(Object.keys(v).sort()).toEqual(expect.arrayContaining(['_id', 'sku']));
      for (const v of body.variations) expect(Object.keys(v).filter((k) => !['_id', 'sku', 'prices', 'availabilities'].includes(k))).toEqual([]);
    }
    const onB = bySku(b);
    for (const p of a.products.values()) {
      const got = variations(onB.get(p.sku!)!);
      variations(p).forEach((v, i) => {
        expect(got[i].price).toBe(Math.round(v.price));
        expect(got[i].quantity).toBe(v.quantity);
      });
    }
    expect((await hub.run('send', B.id)).summary.send).toMatchObject({ updated: 0, created: 0 });
  });

  it('fields.price.write=false keeps price out of creates and updates', async () => {
    expect((await hub.run('send', C.id)).summary.send.created).toBe(8);
    for (const p of c.products.values()) expect(variations(p).every((v) => !v.hasPrices && v.quantity >= 0)).toBe(true);

    const target = [...a.products.values()][0];
    target.title = 'New title on the source';
    target.variations![0].prices![0].number = '49.50';
    const fetched = await hub.run('fetch', A.id);
    expect(fetched.summary.fetch.changed).toBe(1);
    const before = c.requests.length;
    expect((await hub.run('send', C.id)).summary.send).toMatchObject({ updated: 1 });
    expect(writesSince(c, before)).toEqual([{ title: 'New title on the source' }]);
    const onC = bySku(c).get(target.sku!)!;
    expect(onC.title).toBe('New title on the source');
    expect(variations(onC)[0].hasPrices).toBe(false);
    // B writes prices: it gets both changes.
    const beforeB = b.requests.length;
    expect((await hub.run('send', B.id)).summary.send).toMatchObject({ updated: 1 });
    const [bodyB] = writesSince(b, beforeB);
    expect(bodyB.title).toBe('New title on the source');
    expect(bodyB.variations[0].prices).toEqual([{ tag: 'default', currency: 'USD', number: 50 }]);
  });

  it('fields.title.detect=false keeps a title change on the source out of the hub and writes the hub title back', async () => {
    const res = await hub.api('PATCH', `/api/connections/${A.id}`, { settings: { fields: { title: { detect: false } } } });
    expect(res.status).toBe(200);
    expect(res.body.settings.fields.title).toEqual({ detect: false, write: true });
    const target = [...a.products.values()][1];
    const original = target.title;
    target.title = 'Renamed by hand on the source';
    target.variations![0].availabilities![0].quantity = '3';
    const fetched = await hub.run('fetch', A.id);
    expect(fetched.summary.fetch.changed).toBe(1);

    const record = (await allProducts(hub)).find((p) => p.sku === target.sku);
    expect(record.title).toBe(original);
    expect(record.variations[0].availabilities[0].quantity).toBe(3);
    const detail = (await hub.api('GET', `/api/products/${record.id}`)).body;
    const onA = detail.equivalences.find((e: any) => e.connectionId === A.id);
    expect(onA.status).toBe('pending_update');
    expect(onA.pending.changes.map((ch: any) => ch.path)).toEqual(['title']);

    const before = a.requests.length;
    expect((await hub.run('send', A.id)).summary.send).toMatchObject({ updated: 1 });
    expect(writesSince(a, before)).toEqual([{ title: original }]);
    expect(a.products.get(target._id)!.title).toBe(original);
    // The stock change did flow: B and C get it, and neither gets a title change.
    for (const [shop, id] of [[b, B.id], [c, C.id]] as const) {
      const n = shop.requests.length;
      expect((await hub.run('send', id)).summary.send).toMatchObject({ updated: 1 });
      const [body] = writesSince(shop, n);
      expect(body.title).toBeUndefined();
      expect(body.variations[0].availabilities).toEqual([{ tag: 'default', quantity: 3 }]);
      expect(bySku(shop).get(target.sku!)!.title).toBe(original);
    }
  });

  it('a sale seen on a connection with a stock buffer and max reaches the hub as the sale, not as the buffered level', async () => {
    const d = await startStorefront({ key: 'rules-d-123456', products: [] });
    try {
      const D = await connectShop(hub, 'Buffered', d, { settings: { absorb: { products: true }, stock: { buffer: 5, max: 20 } } });
      expect((await hub.run('send', D.id)).summary.send.created).toBe(8);
      const hubQty = async (sku: string) => (await allProducts(hub)).flatMap((p) => p.variations).find((v: any) => v.sku === sku).availabilities[0].quantity;
      const all = [...a.products.values()].flatMap((p) => p.variations!.map((v) => ({ sku: v.sku!, q: Number(v.availabilities![0].quantity) })));
      const shown = all.find((v) => v.q >= 8 && v.q < 24)!;  // shown as q - 5
      const capped = all.find((v) => v.q >= 27)!;           // shown as 20
      const onD = (sku: string) => [...d.products.values()].flatMap((p) => p.variations!).find((v) => v.sku === sku)!;
      expect(Number(onD(shown.sku).availabilities![0].quantity)).toBe(shown.q - 5);
      expect(Number(onD(capped.sku).availabilities![0].quantity)).toBe(20);
      // One unit sold of each on D: D lowers its own stock.
      onD(shown.sku).availabilities![0].quantity = shown.q - 6;
      onD(capped.sku).availabilities![0].quantity = 19;
      expect((await hub.run('fetch', D.id)).summary.fetch.changed).toBe(2);
      expect(await hubQty(shown.sku)).toBe(shown.q - 1);
      expect(await hubQty(capped.sku)).toBe(capped.q - 1);
      // The source gets the real levels; D shows the buffered one again, capped at max.
      await hub.run('send', A.id);
      const onA = (sku: string) => Number([...a.products.values()].flatMap((p) => p.variations!).find((v) => v.sku === sku)!.availabilities![0].quantity);
      expect(onA(shown.sku)).toBe(shown.q - 1);
      expect(onA(capped.sku)).toBe(capped.q - 1);
      const resent = await hub.run('send', D.id);
      expect(resent.summary.send.updated).toBe(1);
      expect(Number(onD(shown.sku).availabilities![0].quantity)).toBe(shown.q - 6);
      expect(Number(onD(capped.sku).availabilities![0].quantity)).toBe(Math.min(20, capped.q - 6));
    } finally {
      await d.close();
    }
  });
});
