import type { ConnectorDefinition } from '../types.js';
import { VendureConfig } from './config.js';
import { VendureConnector } from './vendure.connector.js';

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
  create: (config, ctx) => new VendureConnector(config, ctx),
};
