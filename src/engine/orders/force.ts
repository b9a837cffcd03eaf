import { sql } from 'drizzle-orm';
import type { Hub } from '../../hub.js';
import { ApiError } from '../../http/errors.js';
import { RELEASING_STATUSES, type Order } from '../../model/order.js';
import { listConnections } from '../connections.js';
import { resolveIssues } from '../issues.js';
import { createPendingInserts, fulfillers } from './plan.js';

export interface ForwardTarget {
  connectionId: string;
  name: string;
  /** queued: a create is planned (send the connection to write it); forwarded: it already exists there. */
  state: 'queued' | 'forwarded';
  externalId: string | null;
}

/**
 * A user forwards an order anyway (`POST /api/orders/:id/forward`): to the named
 * connection, or to every fulfilling connection other than the order's source.
 * Lines that cannot be matched are sent with their SKU and title only. The dedupe
 * key still holds: an order already on the connection is not planned again.
 *
 * @example
 * await forceForward(hub, orderId) // [{ connectionId, name: 'Webshop', state: 'queued', externalId: null }]
 */
export async function forceForward(hub: Hub, orderId: string, connectionId?: unknown): Promise<ForwardTarget[]> {
  if (!/^[0-9a-f-]{36}$/i.test(orderId)) throw ApiError.notFound(`order ${orderId} not found`);
  const [order] = await hub.db.rows<{ id: string; data: Order; source_connection_id: string | null }>(sql`
    select id, data, source_connection_id from records where id = ${orderId} and entity = 'order'`);
  if (!order) throw ApiError.notFound(`order ${orderId} not found`);
  if (RELEASING_STATUSES.includes(order.data.status)) {
    throw new ApiError('CS_CONFLICT', `Order ${order.data.number} is ${order.data.status}: there is nothing to fulfil`);
  }
  const all = await listConnections(hub);
  let targets;
  if (connectionId !== undefined && connectionId !== null) {
    if (typeof connectionId !== 'string' || !/^[0-9a-f-]{36}$/i.test(connectionId)) {
      throw ApiError.badRequest('connectionId: must be the id of a connection', 'connectionId');
    }
    const target = all.find((c) => c.id === connectionId);
    if (!target) throw ApiError.badRequest(`connectionId: no connection ${connectionId}`, 'connectionId');
    if (target.id === order.source_connection_id) {
      throw ApiError.badRequest(`connectionId: order ${order.data.number} comes from ${target.name}; it cannot be forwarded to itself`, 'connectionId');
    }
    targets = [target];
  } else {
    targets = fulfillers(all).filter((c) => c.id !== order.source_connection_id);
    if (targets.length === 0) {
      throw ApiError.badRequest(
        'connectionId: no connection receives orders (settings.absorb.orders); name the connection to forward to', 'connectionId');
    }
  }
  return hub.db.tx(async (tx) => {
    const pairs = targets.map((t) => ({ connection_id: t.id, order_record_id: order.id }));
    await hub.db.rows(sql`
      insert into order_forwards (connection_id, order_record_id, forced)
      select connection_id, order_record_id, true from jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb)
        as x(connection_id uuid, order_record_id uuid)
      on conflict (connection_id, order_record_id) do update set forced = true`, tx);
    await createPendingInserts(hub.db, tx, pairs, new Map([[order.id, order.data]]));
    const eqs = await hub.db.rows<{ id: string; connection_id: string; external_id: string | null }>(sql`
      select id, connection_id, external_id from equivalences where record_id = ${order.id} and entity = 'order'`, tx);
    for (const t of targets) {
      const eq = eqs.find((e) => e.connection_id === t.id);
      if (eq && eq.external_id === null) await resolveIssues(hub.db, t.id, 'send', [{ equivalenceId: eq.id }], tx);
    }
    return targets.map((t) => {
      const eq = eqs.find((e) => e.connection_id === t.id);
      return { connectionId: t.id, name: t.name, state: eq?.external_id ? 'forwarded' as const : 'queued' as const, externalId: eq?.external_id ?? null };
    });
  });
}
