import type { Product } from '../../model/product.js';
import { DEFAULT_COLUMNS, FEED_FIELDS } from './config.js';

/** The export's columns, in order: the default import mapping, so an exported feed imports unchanged. */
export const FEED_HEADER: string[] = FEED_FIELDS.map((f) => DEFAULT_COLUMNS[f]);

/**
 * A product as feed rows: one per variation (the product's own columns repeated),
 * its default price and its stock summed over locations.
 *
 * @example
 * feedRows({ sku: 'TEE', title: 'Tee', variations: [{ sku: 'TEE-S', prices: [{ tag: 'default', currency: 'USD', amount: 19.9 }], ... }], ... })
 * // [{ sku: 'TEE', title: 'Tee', variation_sku: 'TEE-S', price: 19.9, currency: 'USD', quantity: 4, ... }]
 */
export function feedRows(p: Product, separator = '|'): Array<Record<string, string | number>> {
  const base: Record<string, string | number> = {
    [DEFAULT_COLUMNS.sku]: p.sku,
    [DEFAULT_COLUMNS.title]: p.title,
    [DEFAULT_COLUMNS.description]: p.description,
    [DEFAULT_COLUMNS.brand]: p.brand,
    [DEFAULT_COLUMNS.mpn]: p.mpn,
    [DEFAULT_COLUMNS.model]: p.model,
    [DEFAULT_COLUMNS.url]: p.url,
    [DEFAULT_COLUMNS.tags]: p.tags.join(separator),
    [DEFAULT_COLUMNS.categories]: p.categories.join(separator),
    [DEFAULT_COLUMNS.status]: p.status,
    [DEFAULT_COLUMNS.deliveryDays]: p.deliveryDays ?? '',
  };
  const variations = p.variations.length > 0 ? p.variations : [null];
  return variations.map((v) => {
    const price = v ? v.prices.find((x) => x.tag === 'default') ?? v.prices[0] : undefined;
    return {
      ...base,
      [DEFAULT_COLUMNS.variationSku]: v?.sku ?? '',
      [DEFAULT_COLUMNS.barcode]: v?.barcode ?? '',
      [DEFAULT_COLUMNS.size]: v?.size ?? '',
      [DEFAULT_COLUMNS.color]: v?.color ?? '',
      [DEFAULT_COLUMNS.images]: v ? v.images.join(separator) : '',
      [DEFAULT_COLUMNS.price]: price ? price.amount : '',
      [DEFAULT_COLUMNS.currency]: price ? price.currency : '',
      [DEFAULT_COLUMNS.quantity]: v && v.availabilities.length > 0 ? v.availabilities.reduce((n, a) => n + a.quantity, 0) : '',
    };
  });
}
