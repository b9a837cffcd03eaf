import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { requestLimits } from '../../model/limits.js';

/** The universal fields a feed column can hold; a feed row is one variation of a product. */
export const FEED_FIELDS = [
  'sku', 'title', 'description', 'brand', 'mpn', 'model', 'url', 'tags', 'categories', 'status', 'deliveryDays',
  'variationSku', 'barcode', 'size', 'color', 'images', 'price', 'currency', 'quantity',
] as const;
export type FeedField = (typeof FEED_FIELDS)[number];

/** The column names the hub's own export uses: a feed exported by one hub imports into another unchanged. */
export const DEFAULT_COLUMNS: Record<FeedField, string> = {
  sku: 'sku', title: 'title', description: 'description', brand: 'brand', mpn: 'mpn', model: 'model', url: 'url',
  tags: 'tags', categories: 'categories', status: 'status', deliveryDays: 'delivery_days',
  variationSku: 'variation_sku', barcode: 'barcode', size: 'size', color: 'color', images: 'images',
  price: 'price', currency: 'currency', quantity: 'quantity',
};

const Columns = z.object(Object.fromEntries(FEED_FIELDS.map((f) => [f, z.string().min(1, `columns.${f} must name a column`).optional()])) as
  Record<FeedField, z.ZodOptional<z.ZodString>>)
  .strict()
  .refine((c) => c.sku !== undefined, { message: 'columns.sku is required: the column holding the product SKU', path: ['sku'] });

// A file is read only from the import folder (src/connectors/reach.ts): a relative name is taken from there.
const Source = z.string().trim().min(1, 'source must not be empty').refine(
  (s) => /^https?:\/\//i.test(s) || !/^[a-z][a-z0-9+.-]+:/i.test(s),
  'source must be an http:// or https:// address or a file in the import folder (CHANNELSYNC_IMPORT_DIR), e.g. catalog.csv',
);

/**
 * A feed connection: imports a catalog (or price and stock updates) from a CSV or
 * JSON file or URL through a column mapping, and exports the connection's view at
 * GET /feeds/{connectionId}.csv|.json?key={key}. Without `source` it only exports.
 *
 * @example
 * FeedConfig.parse({ source: 'https://erp.example.com/stock.csv', columns: { sku: 'SKU', variationSku: 'Variant', quantity: 'Stock' } })
 */
export const FeedConfig = z.object({
  source: z.preprocess((v) => (v === '' || v === null ? undefined : v), Source.optional()),
  /**
   * The access key(s) of a source address, as query parameters (`token=…`): a source given
   * with `?token=…` (or key, access_token, …) has them moved here, stored encrypted and
   * never shown; they are added back to the address only when the feed is downloaded.
   */
  sourceParams: z.preprocess((v) => (v === '' || v === null ? undefined : v), z.string().optional()),
  format: z.enum(['csv', 'json'], { error: 'format must be csv or json' }).optional(),
  delimiter: z.string().min(1).max(1, 'delimiter must be one character, e.g. ; or a tab').default(','),
  /** Universal field -> column name; fields left out are neither read nor written. */
  columns: Columns.default(DEFAULT_COLUMNS),
  /** Separator inside a cell holding a list (tags, categories, images). */
  listSeparator: z.string().min(1).default('|'),
  /** Currency of prices when the feed has no currency column (or leaves it empty). */
  currency: z.string().regex(/^[A-Z]{3}$/, 'currency must be an ISO 4217 code such as USD').default('USD'),
  key: z.string({ error: 'key is required: generate one for this connection' }).min(8, 'key must be at least 8 characters long'),
  timeoutMs: requestLimits.timeoutMs().default(60_000),
  retries: requestLimits.retries().default(3),
  retryBaseMs: requestLimits.retryBaseMs().default(500),
});
export type FeedConfig = z.infer<typeof FeedConfig>;

/** The address the feed is downloaded from: the source with its stored access parameters added back. */
export function sourceUrl(config: FeedConfig): string {
  const source = config.source!;
  if (!config.sourceParams) return source;
  const url = new URL(source);
  for (const [k, v] of new URLSearchParams(config.sourceParams)) url.searchParams.append(k, v);
  return url.toString();
}

/** csv or json: as configured, else from the source's extension, else csv. */
export function formatOf(config: FeedConfig): 'csv' | 'json' {
  if (config.format) return config.format;
  const name = config.source ? config.source.split(/[?#]/)[0].toLowerCase() : '';
  return name.endsWith('.json') ? 'json' : 'csv';
}

/** Fills in a generated export key when the merchant did not give one. */
export function prepareFeedConfig(input: Record<string, unknown>): Record<string, unknown> {
  const key = input.key;
  if (typeof key === 'string' && key.trim() !== '') return input;
  return { ...input, key: randomBytes(24).toString('base64url') };
}
