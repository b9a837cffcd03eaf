import type { ConnectorDefinition } from '../types.js';
import { CustomConfig, prepareCustomConfig } from './config.js';
import { CustomConnector } from './custom.connector.js';
import { customWebhooks } from './webhooks.js';

export { CustomConfig, generateKey } from './config.js';
export { CustomConnector } from './custom.connector.js';
export { signCustomWebhook, SIGNATURE_HEADER } from './webhooks.js';

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
  capabilities: { read: ['products', 'orders'], write: ['products', 'orders'], webhooks: ['products', 'orders'] },
  create: (config, ctx) => new CustomConnector(config, ctx),
  webhooks: customWebhooks,
};
