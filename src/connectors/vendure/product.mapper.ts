import type { Availability, Price, Product, Variation } from '../../model/product.js';
import { describeValue, isObject, Notices, readCurrency, type Notice } from '../../model/normalize.js';

/** What the connector needs to know about the Vendure channel to translate prices and stock. */
export interface ShopContext {
  defaultCurrency: string;
  currencies: string[];
  /** Stock location id -> the availability tag it maps to ('default' for the first location). */
  locations: Map<string, string>;
  defaultLocationId: string | null;
  priceDecimals: number;
  languageCode: string;
}

export interface VendureFacetValue { id: string; code: string; name: string; facet: { id: string; code: string; name: string } }
export interface VendureOption { id: string; code: string; name: string; groupId: string }
export interface VendureVariant {
  id: string;
  sku: string;
  name: string;
  enabled: boolean;
  price: number;
  currencyCode: string;
  prices?: Array<{ currencyCode: string; price: number }>;
  stockLevels?: Array<{ stockLocationId: string; stockOnHand: number; stockAllocated: number }>;
  options?: VendureOption[];
  featuredAsset?: { preview: string } | null;
}
export interface VendureProduct {
  id: string;
  name: string;
  slug: string;
  description: string;
  enabled: boolean;
  facetValues?: VendureFacetValue[];
  featuredAsset?: { preview: string } | null;
  optionGroups?: Array<{ id: string; code: string; name: string; options: Array<{ id: string; code: string; name: string }> }>;
  variants?: VendureVariant[];
}

export type FromVendureResult =
  | { ok: true; externalId: string; record: Product; notices: Notice[] }
  | { ok: false; externalId: string | null; code: string; message: string };

/** The facet whose values are the product's brand; every other facet value is a category. */
export const BRAND_FACET = 'brand';
/** The facet a plain category (no "Facet: value" prefix) is written to. */
export const CATEGORY_FACET = 'category';

const SIZE_GROUP = /\b(size|sizes|talla|taille|größe|groesse|tamanho)\b/i;
const COLOR_GROUP = /\b(colou?rs?|farbe|couleur|cor)\b/i;

class Unreadable extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/**
 * Reads one Vendure product (with its variants) into the universal product.
 * Vendure has no product SKU: the product's slug stands for it. Prices are
 * integers in minor units; stock is what is on hand minus what open orders hold.
 *
 * @example
 * fromVendure({ id: '1', name: 'Laptop', slug: 'laptop', enabled: true, variants: [{ id: '1', sku: 'L1', price: 129900, currencyCode: 'USD', ... }] }, shop)
 * // { ok: true, externalId: '1', record: { sku: 'laptop', title: 'Laptop', variations: [{ id: '1', sku: 'L1', prices: [{ tag: 'default', currency: 'USD', amount: 1299 }] ...
 */
export function fromVendure(raw: unknown, shop: ShopContext): FromVendureResult {
  if (!isObject(raw)) return { ok: false, externalId: null, code: 'not_an_object', message: `Vendure sent a product that is ${describeValue(raw)}, not an object.` };
  const externalId = typeof raw.id === 'string' || typeof raw.id === 'number' ? String(raw.id) : null;
  if (externalId === null) return { ok: false, externalId: null, code: 'missing_id', message: 'Vendure sent a product without an id.' };
  const n = new Notices();
  try {
    const p = raw as unknown as VendureProduct;
    const facetValues = Array.isArray(p.facetValues) ? p.facetValues.filter(isObject) as VendureFacetValue[] : [];
    const brand = facetValues.find((f) => f.facet?.code === BRAND_FACET)?.name ?? '';
    const categories = facetValues.filter((f) => f.facet?.code !== BRAND_FACET).map(categoryOf);
    if (!Array.isArray(p.variants)) {
      throw new Unreadable('invalid_variants', `Product ${externalId} (${text(p.name)}): variants is ${describeValue(p.variants)}, not a list.`);
    }
    const groups = new Map((p.optionGroups ?? []).map((g) => [String(g.id), g.name ?? g.code ?? '']));
    const variations = [...p.variants]
      .sort((a, b) => compareIds(a?.id, b?.id))
      .map((v, i) => readVariant(v, i, groups, shop, n));
    const record: Product = {
      sku: text(p.slug),
      title: text(p.name),
      description: text(p.description),
      brand,
      mpn: '',
      model: '',
      url: '',
      tags: [],
      categories,
      status: p.enabled === false ? 'unpublished' : 'published',
      deliveryDays: null,
      variations,
    };
    return { ok: true, externalId, record, notices: n.items };
  } catch (err) {
    if (err instanceof Unreadable) return { ok: false, externalId, code: err.code, message: err.message };
    throw err;
  }
}

function readVariant(raw: unknown, index: number, groups: Map<string, string>, shop: ShopContext, n: Notices): Variation {
  const path = `variations[${index}]`;
  if (!isObject(raw) || raw.id === undefined) throw new Unreadable('invalid_variant', `${path}: Vendure sent a variant that is ${describeValue(raw)}.`);
  const v = raw as unknown as VendureVariant;
  if (typeof v.price !== 'number' || !Number.isFinite(v.price)) {
    throw new Unreadable('invalid_number', `${path} (sku ${text(v.sku)}): price must be a number, got ${describeValue(v.price)}.`);
  }
  let size = '';
  let color = '';
  for (const o of v.options ?? []) {
    const group = groups.get(String(o.groupId)) ?? '';
    if (!size && SIZE_GROUP.test(group)) size = o.name;
    else if (!color && COLOR_GROUP.test(group)) color = o.name;
  }
  const currency = readCurrency(v.currencyCode || shop.defaultCurrency, `${path}.currency`, n, shop.defaultCurrency);
  const prices: Price[] = [{ tag: 'default', currency, amount: fromMinor(v.price, shop.priceDecimals) }];
  for (const p of v.prices ?? []) {
    if (!isObject(p) || p.currencyCode === currency || typeof p.price !== 'number') continue;
    prices.push({ tag: String(p.currencyCode), currency: String(p.currencyCode), amount: fromMinor(p.price, shop.priceDecimals) });
  }
  const availabilities: Availability[] = [];
  for (const level of v.stockLevels ?? []) {
    if (!isObject(level)) continue;
    const onHand = Number(level.stockOnHand);
    const allocated = Number(level.stockAllocated ?? 0);
    if (!Number.isInteger(onHand)) {
      throw new Unreadable('invalid_number', `${path} (sku ${text(v.sku)}): stockOnHand must be a whole number, got ${describeValue(level.stockOnHand)}.`);
    }
    const id = String(level.stockLocationId);
    availabilities.push({ tag: shop.locations.get(id) ?? `location ${id}`, quantity: onHand - (Number.isInteger(allocated) ? allocated : 0) });
  }
  return {
    id: String(v.id),
    sku: text(v.sku),
    barcode: '',
    size,
    color,
    images: v.featuredAsset?.preview ? [v.featuredAsset.preview] : [],
    videos: [],
    availabilities,
    prices,
  };
}

/** "Electronics" for the category facet, "Material: Cotton" for any other. */
function categoryOf(f: VendureFacetValue): string {
  return f.facet?.code === CATEGORY_FACET ? f.name : `${f.facet?.name ?? f.facet?.code}: ${f.name}`;
}

/** Where a category is written: `Facet: value` names its facet, a plain one goes to the category facet. */
export function facetOfCategory(category: string): { facet: string; value: string } {
  const m = /^([^:>]{1,60}):\s*(.+)$/.exec(category);
  return m ? { facet: m[1].trim(), value: m[2].trim() } : { facet: CATEGORY_FACET, value: category.trim() };
}

export function toMinor(amount: number, decimals: number): number {
  return Math.round(amount * 10 ** decimals);
}

export function fromMinor(value: number, decimals: number): number {
  return Math.round(value) / 10 ** decimals;
}

/** Vendure's slug and code normalisation (normalizeString with '-'), so the hub can predict what Vendure stores. */
export function vendureCode(input: string): string {
  return input
    .normalize('NFD')
    .replace(/[\u00df]/g, 'ss')
    .replace(/[\u0308]/g, 'e')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[!"£$%^&*()+[\]{};:@#~?\\/,|><`¬'=‘’©®™]/g, '')
    .replace(/\s+/g, '-')
    .replace(/-{2,}/g, '-');
}

function compareIds(a: unknown, b: unknown): number {
  const x = Number(a);
  const y = Number(b);
  if (Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
}

/** Re-exported for the Vendure readers. */
export { isObject };

