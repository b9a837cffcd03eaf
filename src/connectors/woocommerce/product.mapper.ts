import type { Price, Product, Variation } from '../../model/product.js';
import { Notices, readNumber, type Notice } from '../../model/normalize.js';

export interface WooTerm { id: number; name: string; slug?: string }
export interface WooAttribute { id?: number; name: string; option?: string; options?: string[]; variation?: boolean; visible?: boolean }
export interface WooVariation {
  id: number;
  sku: string;
  global_unique_id?: string;
  regular_price: string;
  sale_price: string;
  manage_stock: boolean | 'parent';
  stock_quantity: number | null;
  attributes: WooAttribute[];
  image?: { src: string } | null;
  status?: string;
}
export interface WooProduct {
  id: number;
  name: string;
  type: string;
  status: string;
  sku: string;
  global_unique_id?: string;
  permalink?: string;
  description: string;
  regular_price: string;
  sale_price: string;
  manage_stock: boolean;
  stock_quantity: number | null;
  categories: WooTerm[];
  tags: WooTerm[];
  images: Array<{ id?: number; src: string }>;
  attributes: WooAttribute[];
  variations: number[];
}

export type FromWooResult =
  | { ok: true; externalId: string; record: Product; notices: Notice[] }
  | { ok: false; externalId: string | null; code: string; message: string };

const SIZE = /^(size|talla|taille|größe|tamanho)$/i;
const COLOR = /^(colou?r|farbe|couleur|cor)$/i;

class Unreadable extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/**
 * Reads a WooCommerce product (and, for a variable product, its variations) into
 * the universal product. A simple product is one variation whose id is the
 * product's. `regular_price` is the `default` price, `sale_price` the `sale` one;
 * stock is `stock_quantity` where WooCommerce manages stock.
 *
 * @example
 * fromWoo({ id: 794, type: 'simple', sku: 'TEE', regular_price: '21.99', manage_stock: true, stock_quantity: 5, ... }, null, 'USD')
 * // { ok: true, externalId: '794', record: { sku: 'TEE', variations: [{ id: '794', prices: [{ tag: 'default', currency: 'USD', amount: 21.99 }] ...
 */
export function fromWoo(raw: unknown, variations: WooVariation[] | null, currency: string): FromWooResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, externalId: null, code: 'not_an_object', message: 'WooCommerce sent a product that is not an object.' };
  }
  const p = raw as WooProduct;
  if (typeof p.id !== 'number') return { ok: false, externalId: null, code: 'missing_id', message: 'WooCommerce sent a product without an id.' };
  const externalId = String(p.id);
  const n = new Notices();
  try {
    const images = (p.images ?? []).map((i) => i.src).filter(Boolean);
    const fixed = (name: RegExp) => (p.attributes ?? []).find((a) => !a.variation && name.test(a.name) && (a.options ?? []).length === 1)?.options?.[0] ?? '';
    const list: Variation[] = p.type === 'variable'
      ? (variations ?? []).map((v, i) => ({
        id: String(v.id),
        sku: v.sku ?? '',
        barcode: v.global_unique_id ?? '',
        size: attr(v.attributes, SIZE) || fixed(SIZE),
        color: attr(v.attributes, COLOR) || fixed(COLOR),
        images: v.image?.src ? [v.image.src] : [],
        videos: [],
        prices: prices(v.regular_price, v.sale_price, `variations[${i}]`, currency, n),
        availabilities: v.manage_stock === true && v.stock_quantity !== null ? [{ tag: 'default', quantity: v.stock_quantity }]
          : v.manage_stock === 'parent' && p.manage_stock && p.stock_quantity !== null ? [{ tag: 'default', quantity: p.stock_quantity }] : [],
      }))
      : [{
        id: externalId,
        sku: p.sku ?? '',
        barcode: p.global_unique_id ?? '',
        size: fixed(SIZE),
        color: fixed(COLOR),
        images,
        videos: [],
        prices: prices(p.regular_price, p.sale_price, 'regular_price', currency, n),
        availabilities: p.manage_stock && p.stock_quantity !== null ? [{ tag: 'default', quantity: p.stock_quantity }] : [],
      }];
    const record: Product = {
      sku: p.sku ?? '',
      title: p.name ?? '',
      description: p.description ?? '',
      brand: '',
      mpn: '',
      model: '',
      url: p.permalink ?? '',
      tags: (p.tags ?? []).map((t) => t.name),
      categories: (p.categories ?? []).map((c) => c.name),
      status: p.status === 'publish' ? 'published' : 'unpublished',
      deliveryDays: null,
      variations: list,
    };
    return { ok: true, externalId, record, notices: n.items };
  } catch (err) {
    if (err instanceof Unreadable) return { ok: false, externalId, code: err.code, message: `Product ${externalId} (${p.sku || p.name}): ${err.message}` };
    throw err;
  }
}

function attr(list: WooAttribute[] | undefined, name: RegExp): string {
  return (list ?? []).find((a) => name.test(a.name))?.option ?? '';
}

function prices(regular: unknown, sale: unknown, field: string, currency: string, n: Notices): Price[] {
  const out: Price[] = [];
  for (const [tag, value] of [['default', regular], ['sale', sale]] as const) {
    if (value === '' || value === null || value === undefined) continue;
    const amount = readNumber(value, field, n);
    if (amount === null) throw new Unreadable('invalid_number', `${tag === 'default' ? 'regular_price' : 'sale_price'} must be a number, got ${JSON.stringify(value)}.`);
    out.push({ tag, currency, amount });
  }
  return out;
}

/** WooCommerce money: a decimal string. */
export function money(amount: number): string {
  return (Math.round(amount * 100) / 100).toFixed(2);
}

/** The attribute names the hub gives size and colour on a variable product it creates. */
export const SIZE_ATTRIBUTE = 'Size';
export const COLOR_ATTRIBUTE = 'Color';
export const VARIANT_ATTRIBUTE = 'Variant';
export { SIZE, COLOR };
