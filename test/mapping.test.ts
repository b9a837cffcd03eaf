import { describe, expect, it } from 'vitest';
import { Product } from '../src/model/product.js';
import { ConnectionSettings } from '../src/model/settings.js';
import { project, unproject, unprojectSeen } from '../src/engine/rules.js';
import { compileSelector } from '../src/engine/mapping/selector.js';
import { renderTemplate } from '../src/engine/mapping/template.js';
import { orderGroups } from '../src/engine/mapping/groups.js';
import { mappingOf } from '../src/engine/mapping/compile.js';

const tee = Product.parse({
  sku: 'NW-TS-1', title: 'Classic Tee', description: 'A tee.', brand: 'Northwind', tags: ['tees', 'colour:Rojo'],
  categories: ['Apparel > Tops'],
  variations: [
    { sku: 'NW-TS-1-M', barcode: '7500000000011', size: 'M', color: 'Rojo', availabilities: [{ tag: 'default', quantity: 4 }], prices: [{ tag: 'default', currency: 'EUR', amount: 10 }, { tag: 'wholesale', currency: 'EUR', amount: 6 }] },
    { sku: 'NW-TS-1-XL', barcode: '7500000000028', size: 'XL', color: 'Azul', availabilities: [{ tag: 'default', quantity: 0 }], prices: [{ tag: 'default', currency: 'EUR', amount: 12 }] },
  ],
});

const settings = (s: unknown) => ConnectionSettings.parse(s);
const firstError = (s: unknown) => {
  const r = ConnectionSettings.safeParse(s);
  if (r.success) return null;
  return { path: r.error.issues[0].path.join('.'), message: r.error.issues[0].message };
};

describe('listing rules (pure projection)', () => {
  it('leaves the projection exactly as before when no listing rule is set', () => {
    const s = settings({});
    expect(mappingOf(s)).toBeNull();
    expect(project(tee, s)).toBe(tee);
  });

  it('maps category, translates colour and size, templates the title, converts the price, defaults delivery time, creates unpublished', () => {
    const s = settings({
      platformCategories: ['Clothing/Shirts', 'Clothing/Other'],
      categoryMap: [{ category: 'Apparel > Tops', to: 'Clothing/Shirts' }],
      defaultCategory: 'Clothing/Other',
      attributes: { translations: { color: { Rojo: 'Red', azul: 'Blue' }, size: { XL: 'Extra Large' } } },
      groups: [{ name: 'Tees', select: 'tagged tees', title: '{brand} {title} {size}' }],
      currency: { code: 'USD', rates: { EUR: 1.1 }, round: 'none' },
      deliveryDays: 3,
      publish: { newRecords: 'unpublished' },
    });
    const out = project(tee, s, undefined, null);
    expect(out.categories).toEqual(['Clothing/Shirts']);
    expect(out.variations.map((v) => v.color)).toEqual(['Red', 'Blue']);
    expect(out.variations.map((v) => v.size)).toEqual(['M', 'Extra Large']);
    expect(out.title).toBe('Northwind Classic Tee M / Extra Large');
    expect(out.variations[0].prices).toEqual([{ tag: 'default', currency: 'USD', amount: 11 }, { tag: 'wholesale', currency: 'USD', amount: 6.6 }]);
    expect(out.deliveryDays).toBe(3);
    expect(out.status).toBe('unpublished');
    // The hub record is not touched.
    expect(tee.title).toBe('Classic Tee');
    // Once the listing exists, its publish state is the platform's.
    expect(project(tee, s, undefined, { ...out, status: 'published' }).status).toBe('published');
  });

  it('applies the price rule before the conversion, then the currency rounding; a price list tag picks one list', () => {
    const s = settings({ price: { marginPercent: 10, add: 0, round: 'none' }, currency: { code: 'USD', priceListTag: 'wholesale', rates: { EUR: 2 }, round: 'cents99' } });
    const out = project(tee, s);
    expect(out.variations[0].prices).toEqual([{ tag: 'wholesale', currency: 'USD', amount: 13.99 }]);
    // No wholesale price: the default list is shown.
    expect(out.variations[1].prices).toEqual([{ tag: 'default', currency: 'USD', amount: 26.99 }]);
  });

  it('unpublishes at zero stock and, when the hub governs the status, publishes again when stock returns', () => {
    const s = settings({ publish: { unpublishAtZeroStock: true }, stock: { buffer: 4 } });
    expect(project(tee, s).status).toBe('unpublished');
    const restocked = { ...tee, variations: tee.variations.map((v) => ({ ...v, availabilities: [{ tag: 'default', quantity: 9 }] })) };
    expect(project(restocked, s).status).toBe('published');
  });

  it('takes colour from a tag when told so, and groups win by overrides then priority', () => {
    const s = settings({
      attributes: { color: 'tag:colour' },
      groups: [
        { name: 'Low', select: '', priority: 1, title: 'low {title}', category: 'L' },
        { name: 'High', select: 'of brand northwind', priority: 5, title: 'high {title}' },
        { name: 'Boss', select: 'of category Apparel', priority: 0, overrides: ['High'], description: '{description} ({color})' },
      ],
    });
    const out = project(tee, s);
    expect(out.variations.map((v) => v.color)).toEqual(['Rojo', 'Rojo']);
    expect(out.title).toBe('high Classic Tee');
    expect(out.description).toBe('A tee. (Rojo)');
    expect(out.categories).toEqual(['L']);
  });

  it('reads a listing back without rewriting the hub record with templated, mapped or converted values', () => {
    const s = settings({
      categoryMap: [{ category: 'Apparel', to: 'Clothing/Shirts' }],
      attributes: { translations: { color: { Rojo: 'Red' } } },
      groups: [{ name: 'All', title: '{brand} {title}' }],
      currency: { code: 'USD', priceListTag: 'default', rates: { EUR: 2 } },
      deliveryDays: 3,
    });
    const shown = project(tee, s);
    const back = unprojectSeen(shown, s, shown, tee);
    expect(back.title).toBe(tee.title);
    expect(back.categories).toEqual(tee.categories);
    expect(back.deliveryDays).toBeNull();
    expect(back.variations[0].color).toBe('Rojo');
    expect(back.variations[0].prices).toEqual(tee.variations[0].prices);
    // A price changed on the platform comes back in the hub's currency, the other price lists kept.
    const edited = { ...shown, variations: shown.variations.map((v, i) => (i === 0 ? { ...v, prices: [{ tag: 'default', currency: 'USD', amount: 30 }] } : v)) };
    expect(unprojectSeen(edited, s, shown, tee).variations[0].prices).toEqual([
      { tag: 'default', currency: 'EUR', amount: 15 }, { tag: 'wholesale', currency: 'EUR', amount: 6 },
    ]);
    // A product first seen on this connection: translations undone.
    expect(unproject(shown, s).variations[0].color).toBe('Rojo');
  });

  it('selects records with the record-only sets and renders templates', () => {
    expect(compileSelector('of brand Northwind, with barcode, with stock')(tee)).toBe(true);
    expect(compileSelector('of category Apparel')(tee)).toBe(true);
    expect(compileSelector('of category App')(tee)).toBe(false);
    expect(compileSelector('sku NW-*, of size xl, of colour azul')(tee)).toBe(true);
    expect(compileSelector('without images')(tee)).toBe(true);
    expect(() => compileSelector('on "Shop B"')).toThrow(/depends on connections/);
    expect(() => compileSelector('of brnd X')).toThrow(/not understood/);
    expect(renderTemplate('{brand}  {mpn} {title} - {size}', tee)).toBe('Northwind Classic Tee - M / XL');
  });

  it('orders groups and finds cycles', () => {
    const g = (name: string, priority = 0, overrides: string[] = []) => ({ name, priority, overrides });
    expect(orderGroups([g('a', 1), g('b', 5), g('c', 0, ['b'])])).toEqual({ ok: true, order: [2, 1, 0] });
    const cyc = orderGroups([g('a', 0, ['b']), g('b', 0, ['c']), g('c', 0, ['a']), g('d')]);
    expect(cyc.ok).toBe(false);
    expect(!cyc.ok && [...cyc.cycle].sort()).toEqual(['a', 'b', 'c']);
  });

  it('refuses bad rules naming the rule and the field', () => {
    expect(firstError({ platformCategories: ['Shoes'], categoryMap: [{ brand: 'X', to: 'Shoez' }] })).toEqual({
      path: 'categoryMap.0.to', message: 'category rule 1: "Shoez" is not a category of this platform (platformCategories); did you mean "Shoes"?',
    });
    expect(firstError({ groups: [{ name: 'Tees', title: '{brand} {colour}' }] })).toMatchObject({
      path: 'groups.0.title', message: expect.stringMatching(/^mapping group "Tees": the placeholder \{colour\} does not exist/),
    });
    expect(firstError({ groups: [{ name: 'A', overrides: ['B'] }, { name: 'B', overrides: ['A'] }] })).toEqual({
      path: 'groups.0.overrides', message: 'mapping group "A": its overrides form a cycle ("A" overrides "B" overrides "A")',
    });
    expect(firstError({ groups: [{ name: 'A', overrides: ['Nope'] }] })?.path).toBe('groups.0.overrides.0');
    expect(firstError({ groups: [{ name: 'A', select: 'on Vendure' }] })).toMatchObject({ path: 'groups.0.select' });
    expect(firstError({ currency: { code: 'usd' } })?.path).toBe('currency.code');
    expect(firstError({ currency: { code: 'USD', rates: { euro: 1.1 } } })).toEqual({
      path: 'currency.rates.euro', message: 'currency rate "euro": not an ISO 4217 currency code such as EUR',
    });
    expect(firstError({ categoryMap: [{ to: 'X' }] })?.message).toMatch(/category rule 1: needs exactly one of category, brand, tag or set/);
  });
});
