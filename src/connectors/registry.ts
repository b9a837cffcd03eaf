import { custom } from './custom/index.js';
import { vendure } from './vendure/index.js';
import { feed } from './feed/index.js';
import { woocommerce } from './woocommerce/index.js';
import { shopify } from './shopify/index.js';
import type { ConnectorDefinition } from './types.js';

/** Every connector the hub knows, by kind. Adding a connector is one line here. */
export const connectors = {
  custom,
  vendure,
  feed,
  woocommerce,
  shopify,
} as const satisfies Record<string, ConnectorDefinition<unknown>>;

export type ConnectorKind = keyof typeof connectors;

/** @example getConnectorDefinition('custom')?.label // 'Custom storefront' */
export function getConnectorDefinition(kind: string): ConnectorDefinition | undefined {
  return Object.hasOwn(connectors, kind) ? (connectors[kind as ConnectorKind] as ConnectorDefinition) : undefined;
}

export function connectorKinds(): ConnectorKind[] {
  return Object.keys(connectors) as ConnectorKind[];
}
