import type { Availability, Price, Product, Variation } from '../../model/product.js';
import { Notices, readNumber, type Notice } from '../../model/normalize.js';

export interface ShopContext {
  currency: string;
  /** Location gid -> availability tag: the chosen location is `default`, others by name. */
  locations: Map<string, string>;
  defaultLocationId: string;
}

export interface ShopifyVariant {
  id: string;
  sku: string | null;
  barcode: string | null;
  price: string;
  compareAtPrice: string | null;
  selectedOptions: Array<{ name: string; value: string }>;
  image: { url: string } | null;
  inventoryItem: { id: string; inventoryLevels: { nodes: Array<{ location: { id: string; name: string }; quantities: Array<{ name: string; quantity: number }> }> } };
}
export interface ShopifyProduct {
  id: string;
  title: string;
  handle: string;
  descriptionHtml: string;
  status: 'ACTIVE' | 'ARCHIVED' | 'DRAFT';
  vendor: string;
  productType: string;
  tags: string[];
  options: Array<{ name: string; values: string[] }>;
  variants: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: ShopifyVariant[] };
}

export type FromShopifyResult =
  | { ok: true; externalId: string; record: Product; notices: Notice[] }
  | { ok: false; externalId: string | null; code: string; message: string };

const SIZE = /^(size|talla|taille|größe|tamanho)$/i;
const COLOR = /^(colou?r|farbe|couleur|cor)$/i;

/**
 * Reads a Shopify product (all its variants) into the universal product. Shopify
 * has no product SKU: the handle stands for it. `vendor` is the brand, the product
 * type the category, `price` the `default` price and `compareAtPrice` the
 * `compare_at` one; stock is what is available per location.
 *
 * @example
 * fromShopify({ id: 'gid://shopify/Product/1', handle: 'the-complete-snowboard', variants: { nodes: [...] }, ... }, shop)
 */
export function fromShopify(raw: unknown, variants: ShopifyVariant[], shop: ShopContext): FromShopifyResult {
  if (typeof raw !== 'object' || raw === null) return { ok: false, externalId: null, code: 'not_an_object', message: 'Shopify sent a product that is not an object.' };
  const p = raw as ShopifyProduct;
  if (typeof p.id !== 'string') return { ok: false, externalId: null, code: 'missing_id', message: 'Shopify sent a product without an id.' };
  const n = new Notices();
  const list: Variation[] = [];
  for (const [i, v] of variants.entries()) {
    const prices: Price[] = [];
    for (const [tag, value, field] of [['default', v.price, 'price'], ['compare_at', v.compareAtPrice, 'compareAtPrice']] as const) {
      if (value === null || value === undefined || value === '') continue;
      const amount = readNumber(value, `variants[${i}].${field}`, n);
      if (amount === null) return { ok: false, externalId: p.id, code: 'invalid_number', message: `${p.handle}: variant ${v.sku || v.id} has a ${field} that is not a number (${JSON.stringify(value)}).` };
      prices.push({ tag, currency: shop.currency, amount });
    }
    const availabilities: Availability[] = (v.inventoryItem?.inventoryLevels?.nodes ?? []).map((level) => ({
      tag: shop.locations.get(level.location.id) ?? level.location.name,
      quantity: level.quantities.find((q) => q.name === 'available')?.quantity ?? 0,
    }));
    const option = (re: RegExp) => v.selectedOptions.find((o) => re.test(o.name))?.value ?? '';
    list.push({
      id: v.id, sku: v.sku ?? '', barcode: v.barcode ?? '', size: option(SIZE), color: option(COLOR),
      images: v.image?.url ? [v.image.url] : [], videos: [], prices, availabilities,
    });
  }
  const record: Product = {
    sku: p.handle ?? '',
    title: p.title ?? '',
    description: p.descriptionHtml ?? '',
    brand: p.vendor ?? '',
    mpn: '',
    model: '',
    url: '',
    tags: p.tags ?? [],
    categories: p.productType ? [p.productType] : [],
    status: p.status === 'ACTIVE' ? 'published' : 'unpublished',
    deliveryDays: null,
    variations: list,
  };
  return { ok: true, externalId: p.id, record, notices: n.items };
}

/** Shopify's handle for a SKU or title, as Shopify forms handles. */
export function handleOf(text: string): string {
  return text.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

export { SIZE, COLOR };
