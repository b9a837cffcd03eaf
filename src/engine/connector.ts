import type { Hub } from '../hub.js';
import type { Connector } from '../connectors/types.js';
import { ConnectorError } from '../connectors/types.js';
import { getConnectorDefinition } from '../connectors/registry.js';
import { reachOf } from '../connectors/reach.js';
import type { LoadedConnection } from './connections.js';

/** Builds the connector of a connection; a config that no longer validates is a config error. */
export function openConnector(hub: Hub, conn: LoadedConnection, signal: AbortSignal): Connector {
  const def = getConnectorDefinition(conn.kind);
  if (!def) throw new ConnectorError('config', `No connector is installed for kind "${conn.kind}"`);
  const parsed = def.configSchema.safeParse(conn.config);
  if (!parsed.success) {
    throw new ConnectorError('config', `The configuration of ${conn.name} is not valid: ${parsed.error.issues[0]?.message}`);
  }
  return def.create(parsed.data, { log: hub.log.child({ connection: conn.id, kind: conn.kind }), signal, reach: reachOf(hub) });
}
