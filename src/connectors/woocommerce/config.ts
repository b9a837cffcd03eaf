import { z } from 'zod';
import { requestLimits } from '../../model/limits.js';

function count(field: string, min: number) {
  return z.number({ error: `${field} must be a whole number` }).int(`${field} must be a whole number`).min(min, `${field} must be at least ${min}`);
}

/**
 * A WooCommerce store reached through its REST API v3 with a consumer key and
 * secret (WooCommerce > Settings > Advanced > REST API, read/write).
 *
 * @example
 * WooConfig.parse({ storeUrl: 'https://shop.example.com', consumerKey: 'ck_…', consumerSecret: 'cs_…' })
 */
export const WooConfig = z.object({
  storeUrl: z.url({
    protocol: /^https?$/,
    error: (issue) => issue.input === undefined || issue.input === ''
      ? 'storeUrl is required: the address of the WordPress site, e.g. https://shop.example.com'
      : 'storeUrl must be a full http:// or https:// address, e.g. https://shop.example.com',
  }),
  consumerKey: z.string({ error: 'consumerKey is required (starts with ck_)' }).regex(/^ck_\w+$/, 'consumerKey must start with ck_'),
  consumerSecret: z.string({ error: 'consumerSecret is required (starts with cs_)' }).regex(/^cs_\w+$/, 'consumerSecret must start with cs_'),
  perPage: count('perPage', 1).max(100, 'perPage must be at most 100 (WooCommerce\'s limit)').default(100),
  timeoutMs: requestLimits.timeoutMs().default(30_000),
  retries: requestLimits.retries().default(5),
  retryBaseMs: requestLimits.retryBaseMs().default(500),
  maxPages: requestLimits.maxPages().default(100_000),
});
export type WooConfig = z.infer<typeof WooConfig>;
