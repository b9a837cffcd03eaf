import { z } from 'zod';
import { requestLimits } from '../../model/limits.js';

function count(field: string, min: number) {
  return z.number({ error: `${field} must be a whole number` }).int(`${field} must be a whole number`).min(min, `${field} must be at least ${min}`);
}

/**
 * A Shopify shop reached through the Admin GraphQL API with an Admin API access
 * token (a custom app's `shpat_…`, scopes read/write_products, read/write_inventory,
 * read/write_orders, read/write_merchant_managed_fulfillment_orders).
 *
 * @example
 * ShopifyConfig.parse({ shopUrl: 'https://my-shop.myshopify.com', accessToken: 'shpat_…' })
 */
export const ShopifyConfig = z.object({
  shopUrl: z.url({
    protocol: /^https?$/,
    error: (issue) => issue.input === undefined || issue.input === ''
      ? 'shopUrl is required: the shop\'s myshopify address, e.g. https://my-shop.myshopify.com'
      : 'shopUrl must be a full address, e.g. https://my-shop.myshopify.com',
  }),
  accessToken: z.string({ error: 'accessToken is required: the Admin API access token of the shop\'s custom app (shpat_…)' })
    .min(8, 'accessToken must be the Admin API access token (shpat_…)'),
  apiVersion: z.string().regex(/^\d{4}-(01|04|07|10)$/, 'apiVersion must be a Shopify API version such as 2024-10').default('2024-10'),
  /** The location whose stock is the `default` availability; by default the shop's first location. */
  locationId: z.preprocess((v) => (v === '' || v === null ? undefined : v), z.string().startsWith('gid://shopify/Location/', 'locationId must be a location gid, e.g. gid://shopify/Location/1').optional()),
  /** Products per page: kept small so a page's calculated cost stays under Shopify's 1000-point query limit. */
  pageSize: count('pageSize', 1).max(6, 'pageSize must be at most 6 (a larger page costs more than Shopify allows in one query)').default(5),
  timeoutMs: requestLimits.timeoutMs().default(30_000),
  retries: requestLimits.retries().default(5),
  retryBaseMs: requestLimits.retryBaseMs().default(500),
  maxPages: requestLimits.maxPages().default(1_000_000),
});
export type ShopifyConfig = z.infer<typeof ShopifyConfig>;
