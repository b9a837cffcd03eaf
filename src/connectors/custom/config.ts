import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { requestLimits } from '../../model/limits.js';

function httpUrl(field: string, example: string) {
  return z.url({
    protocol: /^https?$/,
    error: (issue) =>
      issue.input === undefined || issue.input === ''
        ? `${field} is required: the full address of the endpoint, e.g. ${example}`
        : `${field} must be a full http:// or https:// address, e.g. ${example}`,
  });
}

/** An optional field a form may send as "" or null when left empty. */
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === '' || v === null ? undefined : v), schema.optional());
}

/**
 * Configuration of a custom storefront connection.
 *
 * @example
 * CustomConfig.parse({ productsUrl: 'https://shop.example.com/api/product',
 *   ordersUrl: 'https://shop.example.com/api/order', key: 'k3y-from-generate' })
 */
export const CustomConfig = z.object({
  productsUrl: httpUrl('productsUrl', 'https://shop.example.com/api/product'),
  ordersUrl: httpUrl('ordersUrl', 'https://shop.example.com/api/order'),
  productsWriteUrl: optional(httpUrl('productsWriteUrl', 'https://shop.example.com/api/product')),
  ordersWriteUrl: optional(httpUrl('ordersWriteUrl', 'https://shop.example.com/api/order')),
  key: z
    .string({ error: 'key is required: generate one for this connection' })
    .min(8, 'key must be at least 8 characters long'),
  timeoutMs: requestLimits.timeoutMs().default(30_000),
  retries: requestLimits.retries().default(5),
  retryBaseMs: requestLimits.retryBaseMs().default(500),
  maxPages: requestLimits.maxPages().default(100_000),
});
export type CustomConfig = z.infer<typeof CustomConfig>;

/** A new connection key, as "Generate Key" does: 24 random bytes, base64url. */
export function generateKey(): string {
  return randomBytes(24).toString('base64url');
}

/** Fills in a generated key when the merchant did not give one. */
export function prepareCustomConfig(input: Record<string, unknown>): Record<string, unknown> {
  const key = input.key;
  if (typeof key === 'string' && key.trim() !== '') return input;
  return { ...input, key: generateKey() };
}
