import type { ConnectorDefinition } from '../types.js';
import { VendureConfig } from './config.js';
import { VendureConnector } from './vendure.connector.js';

/** Universal fields Vendure has no place for: a new Vendure connection neither reads nor writes them. */
const NOT_HELD = ['barcode', 'mpn', 'model', 'url', 'tags', 'videos', 'deliveryDays', 'images'] as const;

export { VendureConfig } from './config.js';
export { VendureConnector } from './vendure.connector.js';

/**
 * Vendure (https://vendure.io), through its Admin GraphQL API: products with
 * variants, prices and stock both ways; orders in, fulfilments and tracking back.
 *
 * @example
 * const connector = vendure.create(vendure.configSchema.parse({ adminApiUrl, username, password }), { log, signal });
 */
export const vendure: ConnectorDefinition<VendureConfig> = {
  kind: 'vendure',
  label: 'Vendure',
  configSchema: VendureConfig,
  secretFields: ['password', 'token'],
  capabilities: { read: ['products', 'orders'], write: ['products', 'orders'] },
  defaultSettings: () => ({ fields: Object.fromEntries(NOT_HELD.map((f) => [f, { detect: false, write: false }])) }),
  create: (config, ctx) => new VendureConnector(config, ctx),
};
