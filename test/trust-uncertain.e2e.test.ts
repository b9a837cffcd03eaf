import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts, connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront, type StoreProduct } from '../src/storefront/server.js';
import { demoProduct } from '../src/storefront/catalog.js';

/** Demo products with no SKU anywhere (product or variation); with or without barcodes. */
const skuless = (i: number, barcodes: boolean): StoreProduct => {
  const p = demoProduct(i);
  return {
    ...p, sku: '', title: `${p.title} #${i}`,
    variations: p.variations!.map(({ sku: _s, barcode, ...v }) => (barcodes ? { ...v, barcode } : v)),
  };
};
const titles = (shop: Storefront) => {
  const counts = new Map<string, number>();
  for (const p of shop.products.values()) counts.set(String(p.title), (counts.get(String(p.title)) ?? 0) + 1);
  return counts;
};

// A send stops after 10 failures in a row (the platform looks down): each step loses at most 8 answers.
describe.each(DATABASES)('a create without a SKU whose answer is lost (%s)', (kind) => {
  let hub: TestHub;
  let web: Storefront;
  let m1: Storefront;
  let m2: Storefront;
  beforeAll(async () => {
    hub = await startTestHub(kind);
    web = await startStorefront({ key: 'skuless-web-12345', products: Array.from({ length: 8 }, (_, i) => skuless(i, true)) });
    m1 = await startStorefront({ key: 'skuless-m1-123456', products: [] });
    m2 = await startStorefront({ key: 'skuless-m2-123456', products: [] });
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all([web?.close(), m1?.close(), m2?.close()]);
  });

  it('is recovered by title and barcodes, or held with an issue; never created twice', async () => {
    const W = await connectShop(hub, 'Webshop', web);
    const M1 = await connectShop(hub, 'Market 1', m1, { settings: { absorb: { products: true } } });
    expect((await hub.run('fetch', W.id)).state).toBe('completed');
    m1.setFaults({ failCreateAfterStore: 8 });
    expect((await hub.run('send', M1.id)).summary.send.failed).toBe(8);
    expect(m1.products.size).toBe(8);
    const second = await hub.run('send', M1.id);
    expect(second.state).toBe('completed');
    expect(second.summary.send).toMatchObject({ created: 0, recovered: 8 });
    expect(m1.products.size).toBe(8);
    const recovered = (await hub.api('GET', `/api/issues?connectionId=${M1.id}`)).body.items.filter((i: any) => i.code === 'create_recovered');
    expect(recovered).toHaveLength(8);
    expect(recovered[0].message).toMatch(/title and barcodes/);

    // Eight more, with no barcode either: nothing identifies them on the platform.
    for (let i = 8; i < 16; i++) { const p = skuless(i, false); web.products.set(p._id, p); }
    expect((await hub.run('fetch', W.id)).summary.fetch.created).toBe(8);
    m1.setFaults({ failCreateAfterStore: 8 });
    expect((await hub.run('send', M1.id)).summary.send.failed).toBe(8);
    const third = await hub.run('send', M1.id);
    expect(third.summary.send).toMatchObject({ created: 0, recovered: 0 });
    expect(m1.products.size).toBe(16);
    expect([...titles(m1).values()].every((n) => n === 1)).toBe(true);
    const held = (await hub.api('GET', `/api/issues?connectionId=${M1.id}`)).body.items.filter((i: any) => i.code === 'create_uncertain');
    expect(held).toHaveLength(8);
    expect(held[0].message).toMatch(/no SKU/);

    // A fetch of the market finds the held listings: they may be the hub's creates, so they are not read as new products.
    const fetched = await hub.run('fetch', M1.id);
    expect(fetched.summary.fetch.created).toBe(0);
    const matches = (await hub.api('GET', `/api/issues?connectionId=${M1.id}`)).body.items.filter((i: any) => i.code === 'create_uncertain_match');
    expect(matches).toHaveLength(8);
    expect((await allProducts(hub)).length).toBe(16);
    // Still nothing created twice; another absorbing connection receives 16 products, not 24.
    expect((await hub.run('send', M1.id)).summary.send.created).toBe(0);
    expect(m1.products.size).toBe(16);
    const M2 = await connectShop(hub, 'Market 2', m2, { settings: { absorb: { products: true } } });
    expect((await hub.run('send', M2.id)).summary.send.created).toBe(16);
    expect(m2.products.size).toBe(16);
  });
});

describe.each(DATABASES)('a held create is resolved by a person (%s)', (kind) => {
  let hub: TestHub;
  let web: Storefront;
  let m3: Storefront;
  beforeAll(async () => {
    hub = await startTestHub(kind);
    web = await startStorefront({ key: 'skuless-web-54321', products: Array.from({ length: 8 }, (_, i) => skuless(20 + i, false)) });
    m3 = await startStorefront({ key: 'skuless-m3-123456', products: [] });
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all([web?.close(), m3?.close()]);
  });

  it('"it is there" binds the listing, "it is not" creates it once', async () => {
    const W = await connectShop(hub, 'Webshop', web);
    const M3 = await connectShop(hub, 'Market 3', m3, { settings: { absorb: { products: true } } });
    expect((await hub.run('fetch', W.id)).state).toBe('completed');
    m3.setFaults({ failCreateAfterStore: 8 });
    expect((await hub.run('send', M3.id)).summary.send.failed).toBe(8);
    // The hub never learnt the ids; a person removes one listing by hand and looks at the rest.
    const [gone, ...rest] = [...m3.products.values()];
    m3.products.delete(gone._id);
    expect((await hub.run('send', M3.id)).summary.send.created).toBe(0);
    const held = (await hub.api('GET', `/api/issues?connectionId=${M3.id}`)).body.items.filter((i: any) => i.code === 'create_uncertain');
    expect(held).toHaveLength(8);
    const products = await allProducts(hub);
    const recordOf = (title: unknown) => products.find((p) => p.title === title).id;

    // Bad requests name the field.
    const bad = await hub.api('POST', `/api/products/${recordOf(rest[0].title)}/uncertain-create`, { connectionId: M3.id, resolution: 'bind' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('externalId');
    const wrong = await hub.api('POST', `/api/products/${recordOf(rest[0].title)}/uncertain-create`, { connectionId: M3.id, resolution: 'later' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.field).toBe('resolution');

    for (const p of rest) {
      const res = await hub.api('POST', `/api/products/${recordOf(p.title)}/uncertain-create`, { connectionId: M3.id, resolution: 'bind', externalId: p._id });
      expect(res.status).toBe(200);
    }
    const res = await hub.api('POST', `/api/products/${recordOf(gone.title)}/uncertain-create`, { connectionId: M3.id, resolution: 'create' });
    expect(res.status).toBe(200);
    // Nothing is uncertain any more: a second answer is a 409.
    const again = await hub.api('POST', `/api/products/${recordOf(gone.title)}/uncertain-create`, { connectionId: M3.id, resolution: 'create' });
    expect(again.status).toBe(409);
    const third = await hub.run('send', M3.id);
    expect(third.summary.send).toMatchObject({ created: 1, failed: 0 });
    expect(m3.products.size).toBe(8);
    expect([...titles(m3).values()].every((n) => n === 1)).toBe(true);
    const open = (await hub.api('GET', `/api/issues?connectionId=${M3.id}`)).body.items.filter((i: any) => i.code === 'create_uncertain');
    expect(open).toEqual([]);
    // Bound listings are real: a fetch reads them as the hub wrote them.
    const titlesBefore = (await allProducts(hub)).map((p) => p.title).sort();
    expect((await hub.run('fetch', M3.id)).summary.fetch).toMatchObject({ created: 0 });
    expect((await allProducts(hub)).map((p) => p.title).sort()).toEqual(titlesBefore);
    expect((await hub.run('fetch', M3.id)).summary.fetch).toMatchObject({ created: 0, changed: 0 });
  });
});
