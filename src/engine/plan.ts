import { uuidArray } from '../db/index.js';
import { sql, type SQL } from 'drizzle-orm';
import type { Database, Orm } from '../db/index.js';
import type { Product } from '../model/product.js';
import { fieldMode } from '../model/settings.js';
import type { LoadedConnection } from './connections.js';
import { diffProducts, type FieldChange } from './diff.js';
import { project } from './rules.js';
import { openReservations, type Reserved } from './orders/ledger.js';

export const json = (v: unknown) => sql`${JSON.stringify(v)}::jsonb`;

export interface EqRow {
  id: string;
  connection_id: string;
  record_id: string;
  external_id: string | null;
  ack: Product | null;
  status: string;
  /** Inserted by the caller in this transaction: it has no pending change to clear. */
  fresh?: boolean;
  /** Set once a create was sent: it may have reached the platform. */
  create_attempted_at?: Date | null;
}

/**
 * Field changes a connection must receive for a record: its projection against what it
 * acknowledged. `reserved` (open order reservations) lowers the stock of every
 * connection except those that fulfil orders: their own stock shows the sale once
 * the order lands there.
 */
export function pendingFor(record: Product, ack: Product | null, conn: LoadedConnection, reserved?: Reserved): FieldChange[] {
  const target = project(record, conn.settings, conn.settings.absorb.orders ? undefined : reserved, ack);
  return diffProducts(target, ack, (f) => fieldMode(conn.settings, f).write).changes;
}

/**
 * A planned create stores no field list: it writes the whole projection, computed when
 * it is sent (and when it is shown), so a first fetch of a big catalog does not write
 * every product a third time.
 */
const WHOLE: FieldChange[] = [];

/**
 * Recomputes the pending changes of these product records on every connection:
 * an update where a connection's projection differs from what it acknowledged,
 * nothing where it matches. A connection that absorbs products and does not hold
 * a record is owed its create without a stored plan (unplanned.ts): its send
 * stores it (`storeCreates`) just before writing it. A stored create on a connection
 * that no longer absorbs products is withdrawn, unless it was sent (it may be there).
 */
export async function replanProducts(
  db: Database, tx: Orm, records: Map<string, Product>, connections: LoadedConnection[], written: EqRow[] = [],
): Promise<void> {
  if (records.size === 0) return;
  const ids = [...records.keys()];
  // Listings the caller has just written in this transaction are not read back (their acks are big).
  const read = await db.rows<EqRow>(sql`
    select id, connection_id, record_id, external_id, ack, status, create_attempted_at from equivalences
    where record_id = any(${uuidArray(ids)}) and not (id = any(${uuidArray(written.map((w) => w.id))}))`, tx);
  const eqs = written.length === 0 ? read : [...read, ...written];
  const reserved = await openReservations(db, ids, tx);
  const byConn = new Map(connections.map((c) => [c.id, c]));
  const upserts: { equivalence_id: string; connection_id: string; record_id: string; op: string; changes: FieldChange[] }[] = [];
  const clear: string[] = [];
  const status: { id: string; status: string }[] = [];
  const withdraw: string[] = [];
  for (const e of eqs) {
    const conn = byConn.get(e.connection_id);
    if (!conn || e.status === 'gone') continue;
    if (!e.external_id) {
      if (!conn.settings.absorb.products && !e.create_attempted_at) {
        withdraw.push(e.id);
        continue;
      }
      upserts.push({ equivalence_id: e.id, connection_id: conn.id, record_id: e.record_id, op: 'insert', changes: WHOLE });
      continue;
    }
    const changes = pendingFor(records.get(e.record_id)!, e.ack, conn, reserved.get(e.record_id));
    if (changes.length > 0) {
      upserts.push({ equivalence_id: e.id, connection_id: conn.id, record_id: e.record_id, op: 'update', changes });
      if (e.status !== 'pending_update' && e.status !== 'error') status.push({ id: e.id, status: 'pending_update' });
    } else {
      if (!e.fresh) clear.push(e.id);
      if (e.status === 'pending_update') status.push({ id: e.id, status: 'live' });
    }
  }
  if (upserts.length > 0) {
    await db.rows(sql`
      insert into pending_changes (equivalence_id, connection_id, record_id, op, changes)
      select equivalence_id, connection_id, record_id, op, changes
      from jsonb_to_recordset(${JSON.stringify(upserts)}::jsonb)
        as x(equivalence_id uuid, connection_id uuid, record_id uuid, op text, changes jsonb)
      on conflict (equivalence_id) do update set op = excluded.op, changes = excluded.changes, planned_at = now()`, tx);
  }
  if (clear.length > 0) {
    await db.rows(sql`delete from pending_changes
      where equivalence_id = any(${uuidArray(clear)})`, tx);
  }
  if (status.length > 0) {
    await db.rows(sql`update equivalences e set status = x.status, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(status)}::jsonb) as x(id uuid, status text) where e.id = x.id`, tx);
  }
  if (withdraw.length > 0) await withdrawCreates(db, withdraw, tx);
}

/**
 * Withdraws stored creates that were never sent (and, with `onlyIf`, meet that condition on `e`):
 * a plan of the hub's own, never a listing on the platform. Its pending insert goes with it
 * (cascade), and its open issues are resolved. Returns the ids withdrawn.
 */
export async function withdrawCreates(db: Database, ids: string[], tx?: Orm, onlyIf: SQL = sql`true`): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const gone = await db.rows<{ id: string }>(sql`delete from equivalences e
    where e.id = any(${uuidArray(ids)}) and e.external_id is null and e.create_attempted_at is null and ${onlyIf}
    returning e.id`, tx);
  if (gone.length > 0) {
    await db.rows(sql`update issues set resolved_at = now()
      where resolved_at is null and equivalence_id = any(${uuidArray(gone.map((g) => g.id))})`, tx);
  }
  return new Set(gone.map((g) => g.id));
}

/**
 * Stores the creates of these products on a connection that absorbs them, where it holds no
 * listing of theirs (not even one found gone): a listing waiting to be created, and its
 * pending insert. Returns how many it stored.
 */
export async function storeCreates(db: Database, tx: Orm, connectionId: string, recordIds: string[]): Promise<number> {
  if (recordIds.length === 0) return 0;
  const created = await db.rows<{ id: string; record_id: string }>(sql`
    insert into equivalences (connection_id, record_id, entity, status)
    select ${connectionId}::uuid, x.id, 'product', 'pending_insert' from unnest(${uuidArray(recordIds)}) x(id)
    -- One probe of (connection, record) per product, \`offset 0\` keeping it a subquery: planned as a join on statistics
    -- taken before the send began, it read every listing stored so far (or probed by connection alone) for each page.
    where not exists (select 1 from listing_facts l where l.connection_id = ${connectionId}::uuid and l.record_id = x.id offset 0)
    on conflict do nothing
    returning id, record_id`, tx);
  if (created.length === 0) return 0;
  await db.rows(sql`
    insert into pending_changes (equivalence_id, connection_id, record_id, op, changes)
    select x.id, ${connectionId}::uuid, x.record_id, 'insert', ${JSON.stringify(WHOLE)}::jsonb
    from jsonb_to_recordset(${JSON.stringify(created)}::jsonb) as x(id uuid, record_id uuid)
    on conflict (equivalence_id) do update set op = excluded.op, changes = excluded.changes, planned_at = now()`, tx);
  return created.length;
}

/**
 * How many changes are pending on a connection for one entity (a send's progress total).
 * A lookup per pending change, never a join: with statistics taken while a bulk create was
 * pending, the planner hashed the whole equivalences table (product JSON and all) to count 400.
 */
export async function countPending(db: Database, connectionId: string, entity: 'product' | 'order'): Promise<number> {
  const [{ n }] = await db.rows<{ n: number }>(sql`select count(*)::int as n from pending_changes pc
    where pc.connection_id = ${connectionId} and (select e.entity from equivalences e where e.id = pc.equivalence_id) = ${entity}`);
  return n;
}

/** Replans every product of the hub, in batches (after settings changes and for maintenance). */
export async function replanAllProducts(db: Database, connections: LoadedConnection[], batch = 500): Promise<number> {
  let after = '00000000-0000-0000-0000-000000000000';
  let n = 0;
  for (;;) {
    const rows = await db.rows<{ id: string; data: Product }>(sql`
      select id, data from records where entity = 'product' and id > ${after} order by id limit ${batch}`);
    if (rows.length === 0) return n;
    await db.tx((tx) => replanProducts(db, tx, new Map(rows.map((r) => [r.id, r.data])), connections));
    n += rows.length;
    after = rows[rows.length - 1].id;
  }
}
