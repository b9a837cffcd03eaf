import { z } from 'zod';

/**
 * The universal product: what the hub stores and what every connector maps to and from.
 * Quantities are per location tag, prices per price-list tag.
 *
 * @example
 * { sku: 'JBL-EON618S', title: 'JBL EON618S', variations: [{ sku: 'JBL-EON618S',
 *   availabilities: [{ tag: 'default', quantity: 50 }],
 *   prices: [{ tag: 'default', currency: 'USD', amount: 1060.51 }] }] }
 */
export const Availability = z.object({
  tag: z.string().min(1),
  quantity: z.number().int(),
});
export type Availability = z.infer<typeof Availability>;

export const Price = z.object({
  tag: z.string().min(1),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code such as USD'),
  amount: z.number().finite(),
});
export type Price = z.infer<typeof Price>;

export const Variation = z.object({
  /** The platform's own id of this variation (only in a connection's view, never in the hub record). */
  id: z.string().optional(),
  sku: z.string().default(''),
  barcode: z.string().default(''),
  size: z.string().default(''),
  color: z.string().default(''),
  images: z.array(z.string()).default([]),
  videos: z.array(z.string()).default([]),
  availabilities: z.array(Availability).default([]),
  prices: z.array(Price).default([]),
});
export type Variation = z.infer<typeof Variation>;

export const Product = z.object({
  sku: z.string().default(''),
  title: z.string().default(''),
  description: z.string().default(''),
  brand: z.string().default(''),
  mpn: z.string().default(''),
  model: z.string().default(''),
  url: z.string().default(''),
  tags: z.array(z.string()).default([]),
  categories: z.array(z.string()).default([]),
  status: z.enum(['published', 'unpublished']).default('published'),
  deliveryDays: z.number().int().nonnegative().nullable().default(null),
  variations: z.array(Variation).default([]),
});
export type Product = z.infer<typeof Product>;

/** Fields of the product itself, as named by connection settings (`settings.fields`). */
export const PRODUCT_FIELDS = [
  'title', 'description', 'brand', 'mpn', 'model', 'url', 'tags', 'categories', 'status', 'deliveryDays',
] as const;
/** Fields of a variation, as named by connection settings; price and stock are the tagged lists. */
export const VARIATION_FIELDS = ['barcode', 'size', 'color', 'images', 'videos', 'price', 'stock'] as const;
export type ProductField = (typeof PRODUCT_FIELDS)[number];
export type VariationField = (typeof VARIATION_FIELDS)[number];
export type SettingsField = ProductField | VariationField;

/** The variation key a field name maps to in the model. */
export const VARIATION_KEY: Record<VariationField, keyof Variation> = {
  barcode: 'barcode', size: 'size', color: 'color', images: 'images', videos: 'videos',
  price: 'prices', stock: 'availabilities',
};

/** Total quantity of a variation over its location tags. */
export function stockOf(v: Variation): number {
  return v.availabilities.reduce((n, a) => n + a.quantity, 0);
}
