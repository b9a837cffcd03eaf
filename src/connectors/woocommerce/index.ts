import type { ConnectorDefinition } from '../types.js';
import { WooConfig } from './config.js';
import { WooConnector } from './woo.connector.js';

export { WooConfig } from './config.js';
export { WooConnector } from './woo.connector.js';

/** Universal fields WooCommerce core has no place for. */
const NOT_HELD = ['brand', 'mpn', 'model', 'deliveryDays', 'videos', 'size', 'color'] as const;

/**
 * WooCommerce through its REST API v3 (consumer key and secret): simple and
 * variable products with stock and regular/sale prices both ways; orders both ways,
 * tracking written as Shipment Tracking meta data and a customer note.
 *
 * @example
 * { name: 'Woo', kind: 'woocommerce', config: { storeUrl: 'https://shop.example.com', consumerKey: 'ck_…', consumerSecret: 'cs_…' } }
 */
export const woocommerce: ConnectorDefinition<WooConfig> = {
  kind: 'woocommerce',
  label: 'WooCommerce',
  configSchema: WooConfig,
  secretFields: ['consumerSecret'],
  capabilities: { read: ['products', 'orders'], write: ['products', 'orders'] },
  // Size and colour are variation attributes, set when a product is created; later changes are made in WooCommerce.
  defaultSettings: () => ({ fields: Object.fromEntries(NOT_HELD.map((f) => [f, { detect: f === 'size' || f === 'color', write: false }])) }),
  create: (config, ctx) => new WooConnector(config, ctx),
};
