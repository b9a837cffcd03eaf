import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts, connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { demoOrder, demoProduct } from '../src/storefront/catalog.js';

/**
 * One product whose text the database cannot hold (a NUL byte, an unpaired surrogate)
 * must not stop the catalog: it is cleaned, flagged, and the other 99 arrive with it.
 */
describe.each(DATABASES)('a product with text the database refuses (%s)', (kind) => {
  let hub: TestHub;
  let shop: Storefront;
  let conn: any;
  const products = Array.from({ length: 100 }, (_, i) => demoProduct(i));
  const nul = products[17];
  const lone = products[42];
  nul.title = `Bad\u0000title${nul.title}`;
  lone.description = `Broken \ud800 text and a paired one \ud83d\ude00`;
  lone.variations![0].color = `Red\udc00`;
  const orders = [0, 1, 2].map((k) => demoOrder(k, products));
  orders[1].buyer = { ...(orders[1].buyer as object), firstName: 'Jo\u0000hn\ud800' };

  beforeAll(async () => {
    hub = await startTestHub(kind);
    shop = await startStorefront({ key: 'trust-text-key-0001', products, orders });
    conn = await connectShop(hub, 'Webshop', shop);
  });
  afterAll(async () => {
    await hub?.close();
    await shop?.close();
  });

  it('imports all 100, cleans the bad text, and raises an issue on those two records', async () => {
    const job = await hub.run('fetch', conn.id);
    expect(job.error).toBeNull();
    expect(job.state).toBe('completed');
    expect(job.summary.fetch.created).toBe(100);
    // Orders too: the one with a broken buyer name arrives with the others.
    expect(job.summary.fetchOrders.created).toBe(3);
    const listed = await hub.api('GET', '/api/orders?limit=100');
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    const order = listed.body.items.find((o: any) => o.buyer?.firstName?.startsWith('Jo'));
    expect(order.buyer.firstName).toBe('John\uFFFD');

    const all = await allProducts(hub);
    expect(all).toHaveLength(100);
    const bySku = new Map(all.map((p) => [p.sku, p]));
    expect(bySku.get(nul.sku)!.title).toBe(`Badtitle${demoProduct(17).title}`);
    const l = bySku.get(lone.sku)!;
    expect(l.description).toBe('Broken \uFFFD text and a paired one \ud83d\ude00');
    expect(l.variations.some((v: any) => v.color === 'Red\uFFFD')).toBe(true);

    const issues = (await hub.api('GET', `/api/issues?connectionId=${conn.id}`)).body.items.filter((i: any) => i.code === 'text_cleaned');
    const on = (p: any) => issues.filter((i: any) => i.recordId === bySku.get(p.sku)!.id).map((i: any) => i.message).sort();
    expect(on(nul)).toEqual([expect.stringMatching(/^title: .*NUL/)]);
    expect(on(lone)).toEqual([
      expect.stringMatching(/^description: .*lone surrogate/),
      expect.stringMatching(/^variations\.0\.color: .*lone surrogate/),
    ]);
    expect(issues.filter((i: any) => /^Order \d+: buyer\.firstName: .*NUL.*lone surrogate/.test(i.message))).toHaveLength(1);
    expect(issues).toHaveLength(4);
    expect(issues.every((i: any) => i.severity === 'warning')).toBe(true);

    // Read again: nothing changes, nothing fails.
    const again = await hub.run('fetch', conn.id);
    expect(again.state).toBe('completed');
    expect(again.summary.fetch.created).toBe(0);
  }, 120_000);

  it('a write answered with such text is stored cleaned; the send completes', async () => {
    const target = products[5];
    const record = (await allProducts(hub)).find((p) => p.sku === target.sku)!;
    // The store's copy gets a NUL behind the hub's back; its answer to the next update carries it.
    shop.products.get(target._id)!.title = `Evil\u0000${target.title}`;
    const edited = await hub.api('PATCH', `/api/products/${record.id}`, { brand: 'Renamed brand' });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    const sent = await hub.run('send', conn.id);
    expect(sent.error).toBeNull();
    expect(sent.state).toBe('completed');
    expect(sent.summary.send.updated).toBe(1);
    expect(shop.products.get(target._id)!.brand).toBe('Renamed brand');
  }, 60_000);
});
