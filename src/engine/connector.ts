import type { Hub } from '../hub.js';
import type { Connector, Entity, WriteAck, WriteOp } from '../connectors/types.js';
import { parseClamped } from '../model/limits.js';
import { cleanDeep } from '../model/text.js';
import { ConnectorError } from '../connectors/types.js';
import { getConnectorDefinition } from '../connectors/registry.js';
import { reachOf } from '../connectors/reach.js';
import type { LoadedConnection } from './connections.js';

/** Builds the connector of a connection; a config that no longer validates is a config error. */
export function openConnector(hub: Hub, conn: LoadedConnection, signal: AbortSignal): Connector {
  const def = getConnectorDefinition(conn.kind);
  if (!def) throw new ConnectorError('config', `No connector is installed for kind "${conn.kind}"`);
  // A configuration saved before its numbers had ranges (retries: 50) runs with the nearest value in range.
  const parsed = parseClamped(def.configSchema, conn.config);
  if (!parsed.success) {
    throw new ConnectorError('config', `The configuration of ${conn.name} is not valid: ${parsed.error.issues[0]?.message}`);
  }
  const connector = def.create(parsed.data, { log: hub.log.child({ connection: conn.id, kind: conn.kind }), signal, reach: reachOf(hub) });
  if (connector.write) {
    // What a platform answers to a write is stored as its acknowledged state: as the database can hold it (model/text.ts).
    const write = connector.write.bind(connector) as (entity: Entity, op: WriteOp<unknown, unknown>) => Promise<WriteAck<unknown>>;
    connector.write = (async (entity: Entity, op: WriteOp<unknown, unknown>) => {
      const ack = await write(entity, op);
      return ack.record === null || ack.record === undefined ? ack : { ...ack, record: cleanDeep(ack.record).value };
    }) as Connector['write'];
  }
  return connector;
}
