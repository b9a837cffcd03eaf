import { describe, expect, it } from 'vitest';
import { Product, type Variation } from '../src/model/product.js';
import { applyChanges, diffProducts, fingerprint, matchVariations } from '../src/engine/diff.js';

const variation = (sku: string, over: Partial<Variation> = {}): Variation => ({
  sku, barcode: '', size: '', color: '', images: [], videos: [],
  availabilities: [{ tag: 'default', quantity: 10 }],
  prices: [{ tag: 'default', currency: 'USD', amount: 20 }],
  ...over,
});

const product = (over: Partial<Product> = {}): Product => Product.parse({
  sku: 'P-1', title: 'Tee', brand: 'Northwind', tags: ['tees'],
  variations: [variation('P-1-S'), variation('P-1-M', { size: 'M' })],
  ...over,
});

describe('diffProducts', () => {
  it('finds nothing between equal products', () => {
    const p = product();
    expect(diffProducts(p, structuredClone(p))).toEqual({ changes: [], patch: { fields: {}, variations: [] } });
  });

  it('reports only the fields that changed, product and variation level', () => {
    const prev = product();
    const next = product({ title: 'Better tee' });
    next.variations[1] = { ...next.variations[1], availabilities: [{ tag: 'default', quantity: 3 }] };
    const { changes, patch } = diffProducts(next, prev);
    expect(changes.map((c) => [c.path, c.kind])).toEqual([
      ['title', 'update'],
      ['variations[P-1-M].availabilities', 'update'],
    ]);
    expect(changes[0]).toMatchObject({ field: 'title', old: 'Tee', new: 'Better tee' });
    expect(patch.fields).toEqual({ title: 'Better tee' });
    expect(patch.variations).toEqual([
      { id: undefined, index: 1, sku: 'P-1-M', changes: { availabilities: [{ tag: 'default', quantity: 3 }] } },
    ]);
  });

  it('matches variations by SKU, whatever their order, and addresses them by the platform id of prev', () => {
    const prev = product({ variations: [{ ...variation('A'), id: 'v-a' }, { ...variation('B'), id: 'v-b' }] });
    const next = product({ variations: [variation('B', { color: 'Red' }), variation('A')] });
    const { changes, patch } = diffProducts(next, prev);
    expect(changes.map((c) => c.path)).toEqual(['variations[B].color']);
    expect(patch.variations).toEqual([{ id: 'v-b', index: 1, sku: 'B', changes: { color: 'Red' } }]);
  });

  it('matches variations without SKU by position', () => {
    const prev = product({ variations: [variation(''), variation('', { size: 'M' })] });
    const next = product({ variations: [variation(''), variation('', { size: 'L' })] });
    const { changes } = diffProducts(next, prev);
    expect(changes.map((c) => [c.path, c.old, c.new])).toEqual([['variations[1].size', 'M', 'L']]);
  });

  it('tolerates price differences under half a cent, and sees a cent', () => {
    const prev = product();
    const tiny = product();
    tiny.variations[0].prices = [{ tag: 'default', currency: 'USD', amount: 20.004 }];
    expect(diffProducts(tiny, prev).changes).toEqual([]);
    const cent = product();
    cent.variations[0].prices = [{ tag: 'default', currency: 'USD', amount: 20.01 }];
    expect(diffProducts(cent, prev).changes.map((c) => c.path)).toEqual(['variations[P-1-S].prices']);
  });

  it('compares tagged prices and stock whatever the order of their tags, and sees a currency change', () => {
    const prices = [{ tag: 'retail', currency: 'USD', amount: 20 }, { tag: 'b2b', currency: 'USD', amount: 15 }];
    const stock = [{ tag: 'main', quantity: 1 }, { tag: 'north', quantity: 2 }];
    const prev = product({ variations: [variation('A', { prices, availabilities: stock })] });
    const next = product({ variations: [variation('A', { prices: [...prices].reverse(), availabilities: [...stock].reverse() })] });
    expect(diffProducts(next, prev).changes).toEqual([]);
    const euro = product({ variations: [variation('A', { prices: [{ ...prices[0], currency: 'EUR' }, prices[1]], availabilities: stock })] });
    expect(diffProducts(euro, prev).changes.map((c) => c.path)).toEqual(['variations[A].prices']);
  });

  it('marks an image removal as remove (red) and an added image as update', () => {
    const prev = product({ variations: [variation('A', { images: ['a.jpg', 'b.jpg'] })] });
    const fewer = product({ variations: [variation('A', { images: ['a.jpg'] })] });
    const more = product({ variations: [variation('A', { images: ['a.jpg', 'b.jpg', 'c.jpg'] })] });
    expect(diffProducts(fewer, prev).changes).toEqual([
      { field: 'images', path: 'variations[A].images', kind: 'remove', old: ['a.jpg', 'b.jpg'], new: ['a.jpg'] },
    ]);
    expect(diffProducts(more, prev).changes.map((c) => c.kind)).toEqual(['update']);
  });

  it('against nothing (a create) lists non-empty fields as inserts', () => {
    const p = product({ description: '' });
    const { changes } = diffProducts(p, null);
    expect(changes.every((c) => c.kind === 'insert')).toBe(true);
    expect(changes.map((c) => c.path)).toContain('title');
    expect(changes.map((c) => c.path)).not.toContain('description');
    expect(changes.map((c) => c.path)).toContain('variations[P-1-S].prices');
  });

  it('a variation new on the hub is sent whole, without a platform id', () => {
    const prev = product({ variations: [{ ...variation('A'), id: 'v-a' }] });
    const next = product({ variations: [variation('A'), variation('B', { size: 'XL' })] });
    const { changes, patch } = diffProducts(next, prev);
    expect(changes.every((c) => c.kind === 'insert' && c.path.startsWith('variations[B]'))).toBe(true);
    expect(patch.variations).toHaveLength(1);
    expect(patch.variations[0]).toMatchObject({ index: 1, sku: 'B', isNew: true, changes: { sku: 'B', size: 'XL', id: undefined } });
  });

  it('never asks to delete a variation that is gone from the hub', () => {
    const prev = product();
    const next = product({ variations: [variation('P-1-S')] });
    expect(diffProducts(next, prev)).toEqual({ changes: [], patch: { fields: {}, variations: [] } });
  });

  it('leaves out the fields the filter excludes', () => {
    const prev = product();
    const next = product({ title: 'Other' });
    next.variations[0].prices = [{ tag: 'default', currency: 'USD', amount: 99 }];
    const { changes, patch } = diffProducts(next, prev, (f) => f !== 'price');
    expect(changes.map((c) => c.path)).toEqual(['title']);
    expect(patch.variations).toEqual([]);
    expect(diffProducts(next, prev, (f) => f !== 'title').changes.map((c) => c.path)).toEqual(['variations[P-1-S].prices']);
  });
});

describe('matchVariations', () => {
  it('pairs each SKU once; a duplicate SKU on the next side stays unpaired', () => {
    const pairs = matchVariations([variation('A'), variation('A')], [variation('A')]);
    expect(pairs.map((p) => p.prevIndex)).toEqual([0, -1]);
  });
});

describe('applyChanges', () => {
  it('copies exactly the changed fields from the source into the record', () => {
    const record = product({ description: 'hub text' });
    const source = product({ title: 'New title', description: 'platform text' });
    source.variations[0].prices = [{ tag: 'default', currency: 'USD', amount: 25 }];
    source.variations[0].color = 'Blue';
    const changes = diffProducts(source, record, (f) => f !== 'description' && f !== 'color').changes;
    const out = applyChanges(record, source, changes);
    expect(out.title).toBe('New title');
    expect(out.description).toBe('hub text');
    expect(out.variations[0].prices[0].amount).toBe(25);
    expect(out.variations[0].color).toBe('');
    expect(record.title).toBe('Tee');
  });

  it('updates the matching variation by SKU even when the source orders them differently', () => {
    const record = product();
    const source = product({ variations: [variation('P-1-M', { size: 'M', availabilities: [{ tag: 'default', quantity: 0 }] }), variation('P-1-S')] });
    const out = applyChanges(record, source, diffProducts(source, record).changes);
    expect(out.variations.map((v) => [v.sku, v.availabilities[0].quantity])).toEqual([['P-1-S', 10], ['P-1-M', 0]]);
  });

  it('adds a variation that is new on the source, without its platform id', () => {
    const record = product();
    const source = product({ variations: [...product().variations, { ...variation('P-1-L'), id: 'x-9' }] });
    const out = applyChanges(record, source, diffProducts(source, record).changes);
    expect(out.variations.map((v) => v.sku)).toEqual(['P-1-S', 'P-1-M', 'P-1-L']);
    expect(out.variations[2]).not.toHaveProperty('id');
  });

  it('returns the record itself when nothing changed', () => {
    const record = product();
    expect(applyChanges(record, product({ title: 'x' }), [])).toBe(record);
  });
});

describe('fingerprint', () => {
  it('is equal for equal content and differs on any change', () => {
    expect(fingerprint(product())).toBe(fingerprint(product()));
    expect(fingerprint(product({ title: 'x' }))).not.toBe(fingerprint(product()));
  });
});
