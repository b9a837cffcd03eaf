import type { ConnectorDefinition } from '../types.js';
import { CustomConfig, prepareCustomConfig } from './config.js';
import { CustomConnector } from './custom.connector.js';

export { CustomConfig, generateKey } from './config.js';
export { CustomConnector } from './custom.connector.js';

/**
 * The custom storefront connector: any shop implementing the custom storefront
 * protocol (products and orders endpoints, a shared key).
 *
 * @example
 * const connector = custom.create(custom.configSchema.parse(custom.prepareConfig!(input)), { log, signal });
 * for await (const ev of connector.read('products', null)) { ... }
 */
export const custom: ConnectorDefinition<CustomConfig> = {
  kind: 'custom',
  label: 'Custom storefront',
  configSchema: CustomConfig,
  secretFields: ['key'],
  prepareConfig: prepareCustomConfig,
  capabilities: { read: ['products', 'orders'], write: ['products', 'orders'] },
  create: (config, ctx) => new CustomConnector(config, ctx),
};
