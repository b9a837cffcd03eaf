import { z } from 'zod';
import { requestLimits } from '../../model/limits.js';

function count(field: string, min: number) {
  return z
    .number({ error: `${field} must be a whole number` })
    .int(`${field} must be a whole number`)
    .min(min, `${field} must be at least ${min}`);
}

/** An optional field a form may send as "" or null when left empty. */
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === '' || v === null ? undefined : v), schema.optional());
}

/**
 * Configuration of a Vendure connection: the Admin API address and an administrator
 * login (or a session token). `channelToken` picks a channel other than the default.
 *
 * @example
 * VendureConfig.parse({ adminApiUrl: 'https://shop.example.com/admin-api', username: 'sync', password: 's3cret' })
 */
export const VendureConfig = z.object({
  adminApiUrl: z.url({
    protocol: /^https?$/,
    error: (issue) =>
      issue.input === undefined || issue.input === ''
        ? 'adminApiUrl is required: the address of the Vendure Admin API, e.g. https://shop.example.com/admin-api'
        : 'adminApiUrl must be a full http:// or https:// address, e.g. https://shop.example.com/admin-api',
  }),
  username: optional(z.string().min(1, 'username must not be empty')),
  password: optional(z.string().min(1, 'password must not be empty')),
  /** A session token issued by Vendure, for setups without a password login. */
  token: optional(z.string().min(8, 'token must be at least 8 characters long')),
  channelToken: optional(z.string()),
  languageCode: z.string().regex(/^[a-z]{2}(_[A-Z]{2})?$/, 'languageCode must be a Vendure language code such as en or pt_BR').default('en'),
  /** Digits after the decimal point of Vendure's integer prices (its DefaultMoneyStrategy uses 2 for every currency). */
  priceDecimals: count('priceDecimals', 0).max(4, 'priceDecimals must be at most 4').default(2),
  pageSize: count('pageSize', 1).max(1000, 'pageSize must be at most 1000 (Vendure\'s list limit)').default(100),
  timeoutMs: requestLimits.timeoutMs().default(30_000),
  retries: requestLimits.retries().default(5),
  retryBaseMs: requestLimits.retryBaseMs().default(500),
  maxPages: requestLimits.maxPages().default(100_000),
}).superRefine((c, ctx) => {
  if (c.token === undefined && (c.username === undefined || c.password === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [c.username === undefined ? 'username' : 'password'],
      message: 'username and password of a Vendure administrator are required (or a session token)',
    });
  }
});
export type VendureConfig = z.infer<typeof VendureConfig>;
