import { sql } from 'drizzle-orm';
import { uuidArray, type Database, type Orm } from '../../db/index.js';
import { RELEASING_STATUSES, type Order } from '../../model/order.js';
import { fieldMode } from '../../model/settings.js';
import type { LoadedConnection } from '../connections.js';
import { diffOrder, type OrderFieldChange } from './diff.js';
import { projectOrder } from '../mapping/orders.js';

/** The connections orders are forwarded to: they fulfil them and hold the real stock. */
export function fulfillers(all: LoadedConnection[]): LoadedConnection[] {
  return all.filter((c) => c.settings.absorb.orders);
}

/** What a pending order insert shows before it is sent. */
export function insertChange(order: Order): OrderFieldChange[] {
  return [{
    field: 'order', path: 'order', kind: 'insert', old: null,
    new: { number: order.number, lines: order.lines.length, total: order.totals.total, currency: order.currency },
  }];
}

/**
 * Plans the forwarding of these orders to every fulfilling connection other than
 * their source. The dedupe key is `order_forwards` (connection, order): only the
 * transaction whose insert created the key plans the create, so overlapping
 * fetches, retries and catch-up passes can never plan a second one.
 */
export async function planForwards(
  db: Database, tx: Orm, orders: Array<{ id: string; source: string | null; data: Order }>, all: LoadedConnection[],
): Promise<number> {
  const targets = fulfillers(all);
  const keys: { connection_id: string; order_record_id: string }[] = [];
  for (const o of orders) {
    if (RELEASING_STATUSES.includes(o.data.status)) continue;
    for (const t of targets) if (t.id !== o.source) keys.push({ connection_id: t.id, order_record_id: o.id });
  }
  if (keys.length === 0) return 0;
  const won = await db.rows<{ connection_id: string; order_record_id: string }>(sql`
    insert into order_forwards (connection_id, order_record_id)
    select connection_id, order_record_id from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb)
      as x(connection_id uuid, order_record_id uuid)
    on conflict do nothing
    returning connection_id, order_record_id`, tx);
  return createPendingInserts(db, tx, won, new Map(orders.map((o) => [o.id, o.data])));
}

/** Pending-insert equivalences (and their pending changes) for orders on connections that do not hold them. */
export async function createPendingInserts(
  db: Database, tx: Orm, pairs: { connection_id: string; order_record_id: string }[], data: Map<string, Order>,
): Promise<number> {
  if (pairs.length === 0) return 0;
  const created = await db.rows<{ id: string; connection_id: string; record_id: string }>(sql`
    insert into equivalences (connection_id, record_id, entity, status)
    select connection_id, order_record_id, 'order', 'pending_insert'
    from jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb) as x(connection_id uuid, order_record_id uuid)
    on conflict do nothing
    returning id, connection_id, record_id`, tx);
  if (created.length === 0) return 0;
  const rows = created.map((e) => ({
    equivalence_id: e.id, connection_id: e.connection_id, record_id: e.record_id, op: 'insert', changes: insertChange(data.get(e.record_id)!),
  }));
  await db.rows(sql`
    insert into pending_changes (equivalence_id, connection_id, record_id, op, changes)
    select equivalence_id, connection_id, record_id, op, changes
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as x(equivalence_id uuid, connection_id uuid, record_id uuid, op text, changes jsonb)
    on conflict (equivalence_id) do nothing`, tx);
  return created.length;
}

/**
 * Recomputes the pending updates of these order records: every connection that
 * holds the order gets the fulfilment fields it writes and has not acknowledged
 * (status, shipments, tracking...), nothing else. Pending inserts are left as they
 * are: a create sends the whole current order.
 */
export async function replanOrders(db: Database, tx: Orm, records: Map<string, Order>, all: LoadedConnection[]): Promise<void> {
  if (records.size === 0) return;
  const eqs = await db.rows<{ id: string; connection_id: string; record_id: string; ack: Order | null; status: string }>(sql`
    select id, connection_id, record_id, ack, status from equivalences
    where entity = 'order' and external_id is not null and status <> 'gone' and record_id = any(${uuidArray([...records.keys()])})`, tx);
  const byConn = new Map(all.map((c) => [c.id, c]));
  const upserts: { equivalence_id: string; connection_id: string; record_id: string; changes: OrderFieldChange[] }[] = [];
  const clear: string[] = [];
  for (const e of eqs) {
    const conn = byConn.get(e.connection_id);
    if (!conn || !e.ack) continue;
    const { changes } = diffOrder(projectOrder(records.get(e.record_id)!, conn.settings), e.ack, (f) => fieldMode(conn.settings, f).write);
    if (changes.length > 0) upserts.push({ equivalence_id: e.id, connection_id: conn.id, record_id: e.record_id, changes });
    else clear.push(e.id);
  }
  if (upserts.length > 0) {
    await db.rows(sql`
      insert into pending_changes (equivalence_id, connection_id, record_id, op, changes)
      select equivalence_id, connection_id, record_id, 'update', changes
      from jsonb_to_recordset(${JSON.stringify(upserts)}::jsonb)
        as x(equivalence_id uuid, connection_id uuid, record_id uuid, changes jsonb)
      on conflict (equivalence_id) do update set op = excluded.op, changes = excluded.changes, planned_at = now()`, tx);
    await db.rows(sql`update equivalences set status = 'pending_update', updated_at = now()
      where status = 'live' and id = any(${uuidArray(upserts.map((u) => u.equivalence_id))})`, tx);
  }
  if (clear.length > 0) {
    await db.rows(sql`delete from pending_changes where op = 'update' and equivalence_id = any(${uuidArray(clear)})`, tx);
    await db.rows(sql`update equivalences set status = 'live', updated_at = now()
      where status = 'pending_update' and id = any(${uuidArray(clear)})`, tx);
  }
}
