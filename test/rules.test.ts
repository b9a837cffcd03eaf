import { describe, expect, it } from 'vitest';
import { Product } from '../src/model/product.js';
import { ConnectionSettings } from '../src/model/settings.js';
import { applyPriceRule, applyStockRule, forCreate, invertPriceRule, project, unproject, unprojectSeen } from '../src/engine/rules.js';

const price = (over: Partial<ConnectionSettings['price']>) => ({ marginPercent: 0, add: 0, round: 'none' as const, ...over });
const stock = (over: Partial<ConnectionSettings['stock']>) => ({ buffer: 0, max: null, ...over });

describe('price rules', () => {
  it('applies margin, then the fixed add, to the cent', () => {
    expect(applyPriceRule(100, price({ marginPercent: 10 }))).toBe(110);
    expect(applyPriceRule(100, price({ add: 2.5 }))).toBe(102.5);
    expect(applyPriceRule(100, price({ marginPercent: 10, add: 2.5 }))).toBe(112.5);
    expect(applyPriceRule(19.99, price({ marginPercent: 15 }))).toBe(22.99);
    expect(applyPriceRule(10, price({ marginPercent: -50 }))).toBe(5);
  });

  it('rounds to .99 with cents99 and to whole units with integer', () => {
    expect(applyPriceRule(10.2, price({ round: 'cents99' }))).toBe(10.99);
    expect(applyPriceRule(100, price({ marginPercent: 10, round: 'cents99' }))).toBe(110.99);
    expect(applyPriceRule(0, price({ round: 'cents99' }))).toBe(0);
    expect(applyPriceRule(10.49, price({ round: 'integer' }))).toBe(10);
    expect(applyPriceRule(10.5, price({ round: 'integer' }))).toBe(11);
    expect(applyPriceRule(24.99, price({ marginPercent: 20, round: 'integer' }))).toBe(30);
  });

  it('every cents99 price ends in exactly .99', () => {
    for (let cents = 1; cents < 20000; cents += 37) {
      const shown = applyPriceRule(cents / 100, price({ marginPercent: 7, round: 'cents99' }));
      expect(Math.round(shown * 100) % 100).toBe(99);
      expect(shown).toBe(Math.round(shown * 100) / 100);
    }
  });

  it('inverts margin and add back to the hub price', () => {
    const rule = price({ marginPercent: 25, add: 1 });
    for (const amount of [1, 9.99, 123.45, 1060.51]) expect(invertPriceRule(applyPriceRule(amount, rule), rule)).toBe(amount);
    expect(invertPriceRule(42, price({}))).toBe(42);
  });
});

describe('stock rules', () => {
  it('keeps a safety buffer and never goes below zero', () => {
    expect(applyStockRule(10, stock({ buffer: 3 }))).toBe(7);
    expect(applyStockRule(2, stock({ buffer: 3 }))).toBe(0);
    expect(applyStockRule(0, stock({ buffer: 3 }))).toBe(0);
    expect(applyStockRule(-4, stock({}))).toBe(0);
  });

  it('caps at max after the buffer', () => {
    expect(applyStockRule(100, stock({ max: 20 }))).toBe(20);
    expect(applyStockRule(22, stock({ buffer: 5, max: 20 }))).toBe(17);
    expect(applyStockRule(100, stock({ buffer: 5, max: 0 }))).toBe(0);
  });
});

const record = Product.parse({
  sku: 'P', title: 'T', brand: 'B', description: 'D', tags: ['x'],
  variations: [
    { sku: 'P-1', images: ['a.jpg'], availabilities: [{ tag: 'main', quantity: 30 }, { tag: 'north', quantity: 1 }], prices: [{ tag: 'retail', currency: 'USD', amount: 50 }, { tag: 'b2b', currency: 'USD', amount: 40 }] },
  ],
});

describe('project / unproject', () => {
  it('is the identity without rules', () => {
    expect(project(record, ConnectionSettings.parse({}))).toBe(record);
    expect(unproject(record, ConnectionSettings.parse({}))).toBe(record);
  });

  it('applies price rules to every price list and stock rules to every location', () => {
    const s = ConnectionSettings.parse({ price: { marginPercent: 10, round: 'cents99' }, stock: { buffer: 2, max: 25 } });
    const p = project(record, s);
    expect(p.variations[0].prices).toEqual([{ tag: 'retail', currency: 'USD', amount: 55.99 }, { tag: 'b2b', currency: 'USD', amount: 44.99 }]);
    expect(p.variations[0].availabilities).toEqual([{ tag: 'main', quantity: 25 }, { tag: 'north', quantity: 0 }]);
    expect(record.variations[0].prices[0].amount).toBe(50);
  });

  it('unproject turns a connection price back into the hub price (margin and add), leaving stock as seen', () => {
    const s = ConnectionSettings.parse({ price: { marginPercent: 20, add: 5 }, stock: { buffer: 2 } });
    const back = unproject(project(record, s), s);
    expect(back.variations[0].prices.map((p) => p.amount)).toEqual([50, 40]);
    expect(back.variations[0].availabilities.map((a) => a.quantity)).toEqual([28, 0]);
  });
});

describe('unprojectSeen', () => {
  const withQty = (main: number, north: number) => ({
    ...record, variations: [{ ...record.variations[0], availabilities: [{ tag: 'main', quantity: main }, { tag: 'north', quantity: north }] }],
  });

  it('without a stock rule, takes the quantity seen as it is', () => {
    const s = ConnectionSettings.parse({});
    expect(unprojectSeen(withQty(7, 1), s, withQty(30, 1), withQty(30, 1)).variations[0].availabilities[0].quantity).toBe(7);
  });

  it('with a buffer or a max, applies what changed on the connection to the hub quantity, per location', () => {
    const s = ConnectionSettings.parse({ stock: { buffer: 5, max: 20 } });
    const hubNow = withQty(30, 8);
    const shownBefore = project(hubNow, s);
    expect(shownBefore.variations[0].availabilities.map((a) => a.quantity)).toEqual([20, 3]);
    const back = unprojectSeen(withQty(18, 2), s, shownBefore, hubNow);
    expect(back.variations[0].availabilities).toEqual([{ tag: 'main', quantity: 28 }, { tag: 'north', quantity: 7 }]);
    // Never below zero, and prices are still un-margined.
    const priced = ConnectionSettings.parse({ stock: { buffer: 5 }, price: { marginPercent: 25 } });
    const out = unprojectSeen({ ...withQty(0, 0), variations: [{ ...withQty(0, 0).variations[0], prices: [{ tag: 'retail', currency: 'USD', amount: 62.5 }] }] },
      priced, withQty(50, 50), withQty(3, 3));
    expect(out.variations[0].availabilities.map((a) => a.quantity)).toEqual([0, 0]);
    expect(out.variations[0].prices[0].amount).toBe(50);
  });

  it('a location or variation it knew nothing of is taken as seen', () => {
    const s = ConnectionSettings.parse({ stock: { buffer: 5 } });
    const seen = { ...record, variations: [{ ...record.variations[0], availabilities: [{ tag: 'south', quantity: 4 }] }, { ...record.variations[0], sku: 'NEW', availabilities: [{ tag: 'main', quantity: 9 }] }] };
    const out = unprojectSeen(seen, s, withQty(30, 1), withQty(30, 1));
    expect(out.variations.map((v) => v.availabilities[0].quantity)).toEqual([4, 9]);
  });
});

describe('forCreate', () => {
  it('blanks the fields this connection does not write and drops platform ids', () => {
    const s = ConnectionSettings.parse({ fields: { price: { write: false }, title: { write: false }, images: { write: false } } });
    const withIds = { ...record, variations: record.variations.map((v) => ({ ...v, id: 'v1' })) };
    const out = forCreate(withIds, s);
    expect(out.title).toBe('');
    expect(out.brand).toBe('B');
    expect(out.variations[0].prices).toEqual([]);
    expect(out.variations[0].images).toEqual([]);
    expect(out.variations[0].availabilities).toHaveLength(2);
    expect(out.variations[0]).not.toHaveProperty('id');
  });
});
