import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts, connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront, type StoreProduct } from '../src/storefront/server.js';

const variation = (sku: string, barcode: string, size: string, color: string, quantity: number, amount: number, currency = 'EUR') => ({
  _id: `${sku}-v`, sku, barcode, size, color,
  availabilities: [{ tag: 'default', quantity }], prices: [{ tag: 'default', currency, number: amount }], images: [], videos: [],
});

/** The merchant's own webshop: prices in EUR, colours in Spanish. */
const catalog = (): StoreProduct[] => [
  { _id: '1', sku: 'TS-1', title: 'Classic Tee', brand: 'Northwind', description: 'A tee.', tags: [{ value: 'tees' }], categories: ['Apparel > Tops'],
    variations: [variation('TS-1-M', '7500000000011', 'M', 'Rojo', 5, 10)] },
  { _id: '2', sku: 'HD-1', title: 'Hoodie', brand: 'Northwind', description: 'Warm.', tags: [], categories: ['Apparel > Sweatshirts'],
    variations: [variation('HD-1-XL', '7500000000028', 'XL', 'Azul', 3, 20)] },
  { _id: '3', sku: 'MUG-1', title: 'Mug', brand: 'Cobalt', description: 'Ceramic.', tags: [], categories: ['Kitchen'],
    variations: [variation('MUG-1', '7500000000035', '', 'White', 8, 6)] },
  { _id: '4', sku: 'BP-1', title: 'Backpack', brand: 'Kestrel', description: 'Roomy.', tags: [{ value: 'bags' }], categories: ['Outdoor'],
    variations: [variation('BP-1', '7500000000042', '28 L', 'Black', 7, 50)] },
];

const marketplaceSettings = {
  absorb: { products: true },
  platformCategories: ['Clothing/Shirts', 'Clothing/Hoodies', 'Bags'],
  categoryMap: [
    { category: 'Apparel > Tops', to: 'Clothing/Shirts' },
    { category: 'Apparel > Sweatshirts', to: 'Clothing/Hoodies' },
    { tag: 'bags', to: 'Bags' },
  ],
  requireCategory: true,
  attributes: { translations: { color: { Rojo: 'Red', Azul: 'Blue' }, size: { XL: 'Extra Large' } } },
  groups: [{ name: 'Clothing', select: 'of category Apparel', title: '{brand} {title} {size}' }],
  currency: { code: 'USD', rates: { EUR: 1.1 } },
  deliveryDays: 2,
  publish: { newRecords: 'unpublished', unpublishAtZeroStock: true },
  matching: { by: 'sku_or_barcode', lookupBeforeCreate: true },
};

describe.each(DATABASES)('listing rules on a marketplace (%s)', (kind) => {
  let hub: TestHub;
  let shop: Storefront;
  let market: Storefront;
  let other: Storefront;
  let A: any;
  let M: any;
  const ids = new Map<string, string>();
  const listing = (store: Storefront, sku: string) => [...store.products.values()].find((p) => p.sku === sku);

  beforeAll(async () => {
    shop = await startStorefront({ key: 'key-shop-12345', products: catalog() });
    // The marketplace already sells the backpack, under its own SKU.
    market = await startStorefront({ key: 'key-market-1234', products: [
      { _id: '500', sku: 'MKT-BP', title: 'Backpack 28L', brand: 'Kestrel', status: 'published', categories: ['Bags'],
        variations: [variation('MKT-BP', '7500000000042', '28 L', 'Black', 1, 60, 'USD')] },
    ] });
    other = await startStorefront({ key: 'key-other-12345', products: [
      { _id: '900', sku: 'N-TEE', title: 'Tee', variations: [variation('N-TEE', '7500000000011', 'M', 'Rojo', 2, 10)] },
    ] });
    hub = await startTestHub(kind);
    A = await connectShop(hub, 'Webshop', shop);
    M = await connectShop(hub, 'Marketplace', market, { settings: marketplaceSettings });
    const fetched = await hub.run('fetch', A.id);
    expect(fetched.summary.fetch.created).toBe(4);
    for (const p of await allProducts(hub)) ids.set(p.sku, p.id);
  });
  afterAll(async () => {
    await hub?.close();
    await shop?.close();
    await market?.close();
    await other?.close();
  });

  it('creates a new product with the mapped category, translated colour and size, templated title, converted price, delivery time, unpublished', async () => {
    const sent = await hub.run('send', M.id);
    expect(sent.state).toBe('completed');
    expect(sent.summary.send).toMatchObject({ created: 2, matched: 1, held: 1 });
    const tee = listing(market, 'TS-1')!;
    expect(tee).toMatchObject({
      title: 'Northwind Classic Tee M', categories: ['Clothing/Shirts'], deliveryDays: 2, status: 'unpublished',
      description: 'A tee.',
    });
    expect(tee.variations![0]).toMatchObject({ color: 'Red', size: 'M', prices: [{ tag: 'default', currency: 'USD', number: 11 }] });
    const hoodie = listing(market, 'HD-1')!;
    expect(hoodie).toMatchObject({ title: 'Northwind Hoodie Extra Large', categories: ['Clothing/Hoodies'], status: 'unpublished' });
    expect(hoodie.variations![0]).toMatchObject({ color: 'Blue', size: 'Extra Large', prices: [{ currency: 'USD', number: 22 }] });
  });

  it('binds the listing the marketplace already had (same barcode) instead of creating it, with a notice', async () => {
    expect(market.products.size).toBe(3);
    expect([...market.products.values()].filter((p) => p.variations?.[0]?.barcode === '7500000000042')).toHaveLength(1);
    expect(market.requests.filter((r) => r.path === '/api/product')).toHaveLength(2);
    const bp = (await hub.api('GET', `/api/products/${ids.get('BP-1')}`)).body;
    expect(bp.equivalences.find((e: any) => e.connectionId === M.id)).toMatchObject({ externalId: '500', status: 'live' });
    // The existing listing was brought in line: mapped category, converted price, the hub's SKU.
    expect(market.products.get('500')).toMatchObject({ sku: 'BP-1', title: 'Backpack', categories: ['Bags'], deliveryDays: 2, status: 'published' });
    expect(market.products.get('500')!.variations![0].prices).toEqual([{ tag: 'default', currency: 'USD', number: 55 }]);
    const issues = (await hub.api('GET', `/api/issues?connectionId=${M.id}`)).body.items;
    expect(issues).toContainEqual(expect.objectContaining({
      severity: 'notice', code: 'offer_match', recordId: ids.get('BP-1'),
      message: expect.stringContaining('Marketplace already had this product (listing 500, same barcode 7500000000042)'),
    }));
  });

  it('holds a product without a category with an issue "no category for" the marketplace instead of a failed write', async () => {
    expect(listing(market, 'MUG-1')).toBeUndefined();
    const issues = (await hub.api('GET', `/api/issues?connectionId=${M.id}`)).body.items;
    expect(issues).toContainEqual(expect.objectContaining({
      severity: 'error', code: 'no_category', recordId: ids.get('MUG-1'), message: expect.stringMatching(/^no category for Marketplace/),
    }));
    const mug = (await hub.api('GET', `/api/products/${ids.get('MUG-1')}`)).body;
    expect(mug.equivalences.find((e: any) => e.connectionId === M.id)).toMatchObject({ externalId: null, status: 'pending_insert' });
  });

  it('reads its own writes back as no change, and the hub record keeps its own values', async () => {
    const echo = await hub.run('fetch', M.id);
    expect(echo.summary.fetch).toMatchObject({ changed: 0, created: 0 });
    const tee = (await hub.api('GET', `/api/products/${ids.get('TS-1')}`)).body;
    expect(tee).toMatchObject({ title: 'Classic Tee', categories: ['Apparel > Tops'], deliveryDays: null, status: 'published' });
    expect(tee.variations[0]).toMatchObject({ color: 'Rojo', size: 'M', prices: [{ tag: 'default', currency: 'EUR', amount: 10 }] });
    expect((await hub.api('GET', `/api/connections/${M.id}`)).body.pending).toMatchObject({ updates: 0, inserts: 1 });
  });

  it('sends a price change converted, and unpublishes a listing whose stock reaches zero', async () => {
    shop.products.get('1')!.variations![0].prices![0].number = 20;
    shop.products.get('4')!.variations![0].availabilities![0].quantity = 0;
    expect((await hub.run('fetch', A.id)).summary.fetch.changed).toBe(2);
    const before = market.requests.length;
    const sent = await hub.run('send', M.id);
    expect(sent.summary.send).toMatchObject({ updated: 2, created: 0 });
    const writes = market.requests.slice(before);
    const teeWrite = writes.find((w) => w.path.endsWith(`/${listing(market, 'TS-1')!._id}`))!;
    expect(teeWrite.body).toEqual({ variations: [{ _id: expect.any(String), sku: 'TS-1-M', prices: [{ tag: 'default', currency: 'USD', number: 22 }] }] });
    expect(market.products.get('500')).toMatchObject({ status: 'unpublished' });
    expect(market.products.get('500')!.variations![0].availabilities).toEqual([{ tag: 'default', quantity: 0 }]);
  });

  it('previews what the marketplace receives and which rule produced each field', async () => {
    const { status, body } = await hub.api('GET', `/api/connections/${M.id}/preview/${ids.get('TS-1')}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ operation: 'none', externalId: listing(market, 'TS-1')!._id, problems: [] });
    const rule = (path: string) => body.fields.find((f: any) => f.path === path);
    expect(rule('title')).toEqual({ path: 'title', value: 'Northwind Classic Tee M', rule: 'mapping group "Clothing" title template "{brand} {title} {size}"' });
    expect(rule('categories')).toMatchObject({ value: ['Clothing/Shirts'], rule: 'category rule 1 (category "Apparel > Tops" -> "Clothing/Shirts")' });
    expect(rule('variations[TS-1-M].color')).toMatchObject({ value: 'Red', rule: 'settings.attributes.translations.color: "Rojo" -> "Red"' });
    expect(rule('variations[TS-1-M].prices')).toMatchObject({ value: [{ tag: 'default', currency: 'USD', amount: 22 }], rule: expect.stringContaining('converted EUR -> USD at 1.1') });
    expect(rule('deliveryDays')).toMatchObject({ value: 2, rule: 'connection default delivery time (settings.deliveryDays)' });
    expect(rule('status')).toMatchObject({ value: 'unpublished', rule: expect.stringContaining('as on the platform') });
    expect(rule('description')).toMatchObject({ value: 'A tee.', rule: 'hub record' });

    const mug = (await hub.api('GET', `/api/connections/${M.id}/preview/${ids.get('MUG-1')}`)).body;
    expect(mug).toMatchObject({ operation: 'create', planned: true, externalId: null, receives: { sku: 'MUG-1', categories: [], status: 'unpublished' } });
    expect(mug.problems).toEqual([{ code: 'no_category', message: expect.stringMatching(/^no category for Marketplace/) }]);
    expect((await hub.api('GET', `/api/connections/${M.id}/preview/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
  });

  it('refuses bad rules with a 400 naming the rule and the field', async () => {
    const patch = (settings: unknown) => hub.api('PATCH', `/api/connections/${M.id}`, { settings });
    let res = await patch({ categoryMap: [...marketplaceSettings.categoryMap, { category: 'Kitchen', to: 'Kitchenware' }] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ field: 'settings.categoryMap.3.to', message: expect.stringContaining('category rule 4: "Kitchenware" is not a category of this platform') });
    res = await patch({ currency: { code: 'usd' } });
    expect(res.body.error.field).toBe('settings.currency.code');
    res = await patch({ currency: { code: 'USD', rates: { EURO: 1.1 } } });
    expect(res.body.error).toMatchObject({ field: 'settings.currency.rates.EURO', message: expect.stringContaining('currency rate "EURO"') });

    const groups = `/api/connections/${M.id}/mapping-groups`;
    res = await hub.api('POST', groups, { name: 'Tees', select: 'tagged tees', title: '{brand} {colour}' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ field: 'title', message: expect.stringContaining('mapping group "Tees": the placeholder {colour} does not exist') });
    res = await hub.api('POST', groups, { name: 'Tees', select: 'on Marketplace' });
    expect(res.body.error).toMatchObject({ field: 'select', message: expect.stringContaining('mapping group "Tees"') });
    res = await hub.api('POST', groups, { name: 'Kitchen', select: 'of category Kitchen', category: 'Home/Kitchen' });
    expect(res.body.error).toMatchObject({ field: 'category', message: expect.stringContaining('mapping group "Kitchen": "Home/Kitchen" is not a category of this platform') });
    expect((await hub.api('POST', groups, { name: 'Sale', select: 'of brand Northwind', overrides: ['Clothing'], priority: 1 })).status).toBe(201);
    res = await hub.api('PUT', `${groups}/Clothing`, { ...marketplaceSettings.groups[0], overrides: ['Sale'] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ message: expect.stringContaining('overrides form a cycle') });
    expect(res.body.error.field).toMatch(/overrides$/);
    // A rename carries the references of the other groups along; a rename onto another group's name is a 409.
    res = await hub.api('PUT', `${groups}/Clothing`, { ...marketplaceSettings.groups[0], name: 'sale' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ field: 'name', message: expect.stringContaining('"sale" exists already') });
    res = await hub.api('PUT', `${groups}/Clothing`, { ...marketplaceSettings.groups[0], name: 'Apparel' });
    expect(res.status).toBe(200);
    let listed = (await hub.api('GET', groups)).body.items;
    expect(listed.map((g: any) => [g.name, g.overrides])).toEqual([['Sale', ['Apparel']], ['Apparel', []]]);
    expect((await hub.api('PUT', `${groups}/apparel`, { ...marketplaceSettings.groups[0], name: 'Clothing' })).status).toBe(200);
    listed = (await hub.api('GET', groups)).body.items;
    expect(listed.map((g: any) => [g.name, g.overrides])).toEqual([['Sale', ['Clothing']], ['Clothing', []]]);
    expect((await hub.api('DELETE', `${groups}/Sale`)).status).toBe(200);
    // Nothing bad was saved.
    const saved = (await hub.api('GET', `/api/connections/${M.id}`)).body.settings;
    expect(saved.groups).toEqual([expect.objectContaining({ name: 'Clothing', overrides: [] })]);
    expect(saved.currency).toMatchObject({ code: 'USD', rates: { EUR: 1.1 } });
  });

  it('a mapping group added through the API releases the held product with its category', async () => {
    const res = await hub.api('PATCH', `/api/connections/${M.id}`, { settings: { platformCategories: [...marketplaceSettings.platformCategories, 'Home/Kitchen'] } });
    expect(res.status).toBe(200);
    const created = await hub.api('POST', `/api/connections/${M.id}/mapping-groups`, { name: 'Kitchen', select: 'of category Kitchen', category: 'Home/Kitchen', fields: { deliveryDays: 5 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Kitchen', rank: 2 });
    const sent = await hub.run('send', M.id);
    expect(sent.summary.send).toMatchObject({ created: 1, held: 0 });
    expect(listing(market, 'MUG-1')).toMatchObject({ categories: ['Home/Kitchen'], deliveryDays: 5, status: 'unpublished' });
    const open = (await hub.api('GET', `/api/issues?connectionId=${M.id}`)).body.items;
    expect(open.filter((i: any) => i.code === 'no_category')).toEqual([]);
  });

  it('binds a listing found on a fetch by its barcode (matching.by barcode) instead of creating the product again', async () => {
    const N = await connectShop(hub, 'Other market', other, { settings: { absorb: { products: true }, matching: { by: 'barcode' } } });
    const fetched = await hub.run('fetch', N.id);
    expect(fetched.summary.fetch).toMatchObject({ bound: 1, created: 0 });
    const issues = (await hub.api('GET', `/api/issues?connectionId=${N.id}`)).body.items;
    expect(issues).toContainEqual(expect.objectContaining({ code: 'offer_match', recordId: ids.get('TS-1'), message: expect.stringContaining('same barcode 7500000000011') }));
    const sent = await hub.run('send', N.id);
    expect(sent.summary.send).toMatchObject({ created: 3 });
    expect(other.products.size).toBe(4);
    expect([...other.products.values()].filter((p) => p.variations?.some((v) => v.barcode === '7500000000011'))).toHaveLength(1);
    expect((await allProducts(hub)).length).toBe(4);
  });
});
