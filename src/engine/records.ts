import { uuidArray } from '../db/index.js';
import { sql, type SQL } from 'drizzle-orm';
import type { Hub } from '../hub.js';
import { ApiError } from '../http/errors.js';
import { compileSet } from './sets.js';
import { openReservations, reservationLedger } from './orders/ledger.js';
import { listConnections } from './connections.js';
import { pendingFor } from './plan.js';
import { unplannedOf } from './unplanned.js';
import type { Product } from '../model/product.js';

export interface ListOptions {
  entity: 'product' | 'order';
  q?: string;
  limit?: number;
  cursor?: string;
}

function decodeCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw ApiError.badRequest('cursor: not a cursor returned by this API', 'cursor');
  return id;
}

/** A page of records matching a set expression, each with its equivalences. */
export async function listRecords(hub: Hub, opts: ListOptions) {
  const limit = opts.limit ?? 50;
  const after = decodeCursor(opts.cursor);
  const where: SQL = await compileSet(hub, opts.entity, opts.q ?? '');
  // Sets are decided on record_facts, the records' narrow shadow: counting 100k of them reads a few MB.
  const [{ n: total }] = await hub.db.rows<{ n: number }>(sql`
    select count(*)::int as n from record_facts r where r.entity = ${opts.entity} and (${where})`);
  // Walking the ids in order finds a page of a large set at once, but crosses all of a small one:
  // below a thousand matches, filter first (the offset 0 keeps the planner from walking) and sort.
  const matching = sql`select r.id from record_facts r where r.entity = ${opts.entity} and (${where})
    ${after ? sql`and r.id > ${after}::uuid` : sql``}`;
  const ids = total < 1000 ? sql`select id from (${matching} offset 0) m order by id limit ${limit + 1}`
    : sql`${matching} order by r.id limit ${limit + 1}`;
  const rows = total === 0 ? [] : await hub.db.rows<{ id: string; data: Record<string, unknown>; created_at: Date; updated_at: Date }>(sql`
    select x.id, x.data, x.created_at, x.updated_at from records x where x.id in (${ids}) order by x.id`);
  const page = rows.slice(0, limit);
  const eqs = await equivalencesOf(hub, page.map((r) => r.id));
  return {
    items: page.map((r) => ({
      id: r.id, ...r.data, createdAt: r.created_at, updatedAt: r.updated_at, equivalences: eqs.get(r.id) ?? [],
    })),
    total,
    nextCursor: rows.length > limit ? Buffer.from(page[page.length - 1].id).toString('base64url') : null,
  };
}

async function equivalencesOf(hub: Hub, ids: string[]) {
  const rows = await hub.db.rows<{ record_id: string; connection_id: string; external_id: string | null; status: string; issues: number; removals: boolean }>(sql`
    select e.record_id, e.connection_id, e.external_id, e.status,
      (select count(*)::int from issues i where i.equivalence_id = e.id and i.resolved_at is null and i.severity <> 'notice') as issues,
      exists (select 1 from pending_changes pc, jsonb_array_elements(pc.changes) c
              where pc.equivalence_id = e.id and c->>'kind' = 'remove') as removals
    from equivalences e
    where e.record_id = any(${uuidArray(ids)})
    order by e.created_at`);
  const out = new Map<string, { connectionId: string; externalId: string | null; status: string; issues: number; removals: boolean }[]>();
  for (const r of rows) {
    const list = out.get(r.record_id) ?? [];
    // removals: a sub-item (an image) is to be removed there, the red dot of the panel.
    list.push({ connectionId: r.connection_id, externalId: r.external_id, status: r.status, issues: r.issues, removals: r.removals });
    out.set(r.record_id, list);
  }
  // Creates an absorbing connection is owed, stored only by its send: shown as the planned creates they are.
  for (const [recordId, connectionIds] of await unplannedOf(hub.db, ids)) {
    const list = out.get(recordId) ?? [];
    for (const connectionId of connectionIds) list.push({ connectionId, externalId: null, status: 'pending_insert', issues: 0, removals: false });
    out.set(recordId, list);
  }
  return out;
}

/** One record with its equivalences, their pending field changes and their issues. */
export async function getRecord(hub: Hub, entity: 'product' | 'order', id: string) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw ApiError.notFound(`${entity} ${id} not found`);
  const [row] = await hub.db.rows<{ id: string; data: Record<string, unknown>; created_at: Date; updated_at: Date; source_connection_id: string | null }>(sql`
    select id, data, created_at, updated_at, source_connection_id from records where id = ${id} and entity = ${entity}`);
  if (!row) throw ApiError.notFound(`${entity} ${id} not found`);
  const eqs = await hub.db.rows<Record<string, unknown>>(sql`
    select e.id, e.connection_id, e.external_id, e.status, e.ack, pc.op, pc.changes, pc.attempts, pc.last_error,
      -- A full rescan does not stamp the listings it finds unchanged: it saw every live one.
      greatest(e.last_seen_at, case when e.entity = 'product' and e.external_id is not null and e.status <> 'gone'
        then (c.clocks #>> '{products,fullScanAt}')::timestamptz end) as last_seen_at
    from equivalences e left join pending_changes pc on pc.equivalence_id = e.id
      left join connections c on c.id = e.connection_id
    where e.record_id = ${id} order by e.created_at`);
  // Creates an absorbing connection is owed, stored only by its send (no id until then).
  for (const connectionId of (await unplannedOf(hub.db, [id])).get(id) ?? []) {
    eqs.push({ id: null, connection_id: connectionId, external_id: null, status: 'pending_insert', ack: null, op: 'insert', changes: [], attempts: 0, last_error: null, last_seen_at: null });
  }
  const issues = await hub.db.rows<Record<string, unknown>>(sql`
    select id, equivalence_id, connection_id, severity, code, message, details, created_at from issues
    where (record_id = ${id} or equivalence_id in (select id from equivalences where record_id = ${id})) and resolved_at is null
    order by created_at`);
  // A product's stock held by orders not yet in its fulfiller's stock (and what released it).
  const reservations = entity === 'product' ? await reservationLedger(hub.db, id) : undefined;
  // A planned product create stores no field list (every field is written): show what the create would hold.
  if (entity === 'product' && eqs.some((e) => e.op === 'insert')) {
    const conns = new Map((await listConnections(hub)).map((c) => [c.id, c]));
    const reserved = (await openReservations(hub.db, [id])).get(id);
    for (const e of eqs) {
      const conn = conns.get(e.connection_id as string);
      if (e.op === 'insert' && conn) e.changes = pendingFor(row.data as unknown as Product, null, conn, reserved);
    }
  }
  return {
    id: row.id, ...row.data, createdAt: row.created_at, updatedAt: row.updated_at, sourceConnectionId: row.source_connection_id,
    equivalences: eqs.map((e) => ({
      id: e.id, connectionId: e.connection_id, externalId: e.external_id, status: e.status, lastSeenAt: e.last_seen_at,
      acknowledged: e.ack,
      pending: e.op ? { op: e.op, changes: e.changes, attempts: e.attempts, lastError: e.last_error } : null,
      issues: issues.filter((i) => i.equivalence_id === e.id).map(issueView),
    })),
    issues: issues.map(issueView),
    ...(reservations ? { reservations } : {}),
  };
}

export function issueView(i: Record<string, unknown>) {
  return {
    id: i.id, entity: i.entity, severity: i.severity, code: i.code, message: i.message, recordId: i.record_id ?? null,
    connectionId: i.connection_id ?? null, externalId: i.external_id ?? null, createdAt: i.created_at,
    ...(i.details !== undefined && i.details !== null ? { details: i.details } : {}),
  };
}

export async function listIssues(hub: Hub, f: { connectionId?: string; severity?: string; recordId?: string; limit?: number }) {
  const conds: SQL[] = [sql`resolved_at is null`];
  if (f.connectionId) conds.push(sql`connection_id = ${f.connectionId}::uuid`);
  if (f.severity) conds.push(sql`severity = ${f.severity}`);
  if (f.recordId) {
    // Issues raised while reading name the listing (connection + external id), not the record.
    conds.push(sql`(record_id = ${f.recordId}::uuid
      or equivalence_id in (select id from equivalences where record_id = ${f.recordId}::uuid)
      or (record_id is null and equivalence_id is null and (connection_id, entity, external_id) in
        (select connection_id, entity, external_id from equivalences where record_id = ${f.recordId}::uuid)))`);
  }
  const rows = await hub.db.rows<Record<string, unknown>>(sql`
    select * from issues where ${sql.join(conds, sql` and `)} order by created_at desc limit ${f.limit ?? 500}`);
  return { items: rows.map(issueView) };
}
