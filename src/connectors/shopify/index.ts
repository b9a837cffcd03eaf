import type { ConnectorDefinition } from '../types.js';
import { ShopifyConfig } from './config.js';
import { ShopifyConnector } from './shopify.connector.js';

export { ShopifyConfig } from './config.js';
export { ShopifyConnector } from './shopify.connector.js';

/** Universal fields a Shopify product has no place for (images need uploads; size and colour are options set at creation). */
const NOT_HELD = ['mpn', 'model', 'url', 'deliveryDays', 'videos', 'images', 'size', 'color'] as const;

/**
 * Shopify through the Admin GraphQL API (access token): products with variants,
 * prices and stock per location both ways; orders in, fulfilments with tracking back.
 *
 * @example
 * { name: 'Shopify', kind: 'shopify', config: { shopUrl: 'https://my-shop.myshopify.com', accessToken: 'shpat_…' } }
 */
export const shopify: ConnectorDefinition<ShopifyConfig> = {
  kind: 'shopify',
  label: 'Shopify',
  configSchema: ShopifyConfig,
  secretFields: ['accessToken'],
  capabilities: { read: ['products', 'orders'], write: ['products', 'orders'] },
  defaultSettings: () => ({ fields: Object.fromEntries(NOT_HELD.map((f) => [f, { detect: f === 'size' || f === 'color', write: false }])) }),
  create: (config, ctx) => new ShopifyConnector(config, ctx),
};
