import { sql } from 'drizzle-orm';
import { textArray, uuidArray, type Orm } from '../../db/index.js';
import { RELEASING_STATUSES, type Order } from '../../model/order.js';
import { fieldMode } from '../../model/settings.js';
import { ConnectorError, type Connector, type WriteAck } from '../../connectors/types.js';
import type { JobContext } from '../../jobs/context.js';
import type { LoadedConnection } from '../connections.js';
import { openConnector } from '../connector.js';
import { fingerprint } from '../diff.js';
import { raiseIssues, resolveIssues, type NewIssue } from '../issues.js';
import { diffOrder } from './diff.js';
import { projectOrder } from '../mapping/orders.js';
import { land } from './ledger.js';
import { mapLinesTo, type TargetLine } from './lines.js';
import { planForwards } from './plan.js';
import { countPending } from '../plan.js';
import { findUncertain, settleMissing, type Uncertain } from '../uncertain.js';
import { mapLimit } from '../map-limit.js';
import { startLook } from '../net-marks.js';

const BATCH = 100;
const CONCURRENCY = 8;
const MAX_TRANSIENT_STREAK = 10;

export interface OrderSendSummary {
  entity: 'orders';
  /** Orders created on this connection (forwarded). */
  forwarded: number;
  updated: number;
  inSync: number;
  /** Forwards whose create had reached the platform before its answer was lost, bound by order number. */
  recovered: number;
  /** Forwards held back: lines that cannot be matched to this connection's products. */
  held: number;
  /** Forwards dropped because the order was cancelled before it was sent. */
  dropped: number;
  failed: number;
  durationMs: number;
  perSecond: number;
}

interface PendingRow {
  equivalence_id: string;
  op: string;
  external_id: string | null;
  ack: Order | null;
  create_attempted_at: Date | null;
  record_id: string;
  data: Order;
  forced: boolean | null;
}

type Outcome =
  | { row: PendingRow; ok: true; kind: 'created' | 'updated'; ack: Order; externalId: string }
  | { row: PendingRow; ok: true; kind: 'in_sync' }
  | { row: PendingRow; ok: false; error: ConnectorError };

/**
 * Send of orders to one connection: on a fulfilling connection (absorb.orders), the
 * forwards of orders from other connections; on any connection, fulfilment updates
 * (status, shipments...) of orders it holds. A forward is marked as attempted and
 * committed before it is sent, and one whose answer was lost is looked up by order
 * number before it is ever sent again, so an order is never created twice.
 */
export async function sendOrders(ctx: JobContext, conn: LoadedConnection, all: LoadedConnection[]): Promise<OrderSendSummary> {
  const { db } = ctx.hub;
  const started = Date.now();
  const summary: OrderSendSummary = {
    entity: 'orders', forwarded: 0, updated: 0, inSync: 0, recovered: 0, held: 0, dropped: 0, failed: 0, durationMs: 0, perSecond: 0,
  };
  const connector = openConnector(ctx.hub, conn, ctx.signal);
  if (conn.settings.absorb.orders) await forwardMissing(ctx, conn, all);
  summary.recovered = await recoverUncertainForwards(ctx, conn, connector);

  const total = await countPending(db, conn.id, 'order');
  let done = 0;
  ctx.progress('send', 'send', 0, total);
  let after = '00000000-0000-0000-0000-000000000000';
  let transientStreak = 0;
  for (;;) {
    await ctx.checkpoint();
    // The page first, alone: one range of the (connection, equivalence) index, whatever the planner's statistics say.
    const page = await db.rows<{ equivalence_id: string }>(sql`select equivalence_id from pending_changes
      where connection_id = ${conn.id} and equivalence_id > ${after}::uuid order by equivalence_id limit ${BATCH}`);
    if (page.length === 0) break;
    after = page[page.length - 1].equivalence_id;
    const rows = await db.rows<PendingRow>(sql`
      select pc.equivalence_id, pc.op, e.external_id, e.ack, e.create_attempted_at, r.id as record_id, r.data, f.forced
      from pending_changes pc
      join equivalences e on e.id = pc.equivalence_id
      join records r on r.id = pc.record_id
      left join order_forwards f on f.connection_id = e.connection_id and f.order_record_id = e.record_id
      where pc.equivalence_id = any(${uuidArray(page.map((p) => p.equivalence_id))}) and e.entity = 'order'
      order by pc.equivalence_id`);
    if (rows.length === 0) continue;
    done += rows.length;

    const inserts = rows.filter((r) => r.external_id === null);
    const updates = rows.filter((r) => r.external_id !== null);
    // Still uncertain after recovery: wait for a complete lookup rather than risk a duplicate.
    const uncertain = inserts.filter((r) => r.create_attempted_at !== null);
    const cancelled = inserts.filter((r) => r.create_attempted_at === null && RELEASING_STATUSES.includes(r.data.status));
    const candidates = inserts.filter((r) => r.create_attempted_at === null && !RELEASING_STATUSES.includes(r.data.status));
    const mapped = await mapLinesTo(db, conn.id, candidates.map((r) => r.data));
    const held: { row: PendingRow; lines: TargetLine[] }[] = [];
    const creates: { row: PendingRow; view: Order }[] = [];
    candidates.forEach((row, i) => {
      const lines = mapped[i];
      if (lines.every((l) => l.ok) || row.forced) creates.push({ row, view: projectOrder(targetView(row.data, lines), conn.settings) });
      else held.push({ row, lines });
    });
    await holdBack(ctx, conn, held, cancelled);
    summary.held += held.length;
    summary.dropped += cancelled.length;
    summary.failed += uncertain.length;

    if (creates.length > 0) {
      await db.rows(sql`update equivalences set create_attempted_at = now()
        where id = any(${uuidArray(creates.map((c) => c.row.equivalence_id))})`);
    }
    const work: Array<() => Promise<Outcome>> = [
      ...creates.map((c) => () => createOne(connector, c.row, c.view)),
      ...updates.map((row) => () => updateOne(connector, conn, row)),
    ];
    const outcomes = await mapLimit(work, CONCURRENCY, (fn) => fn());
    await commitOutcomes(ctx, conn, outcomes);
    for (const o of outcomes) {
      if (o.ok) {
        transientStreak = 0;
        if (o.kind === 'created') summary.forwarded++;
        else if (o.kind === 'updated') summary.updated++;
        else summary.inSync++;
      } else {
        summary.failed++;
        if (o.error.kind === 'config' || o.error.kind === 'auth') throw o.error;
        transientStreak = o.error.retryable ? transientStreak + 1 : 0;
        if (transientStreak >= MAX_TRANSIENT_STREAK) throw o.error;
      }
    }
    ctx.progress('send', 'send', done, Math.max(total, done));
  }
  summary.durationMs = Date.now() - started;
  summary.perSecond = Math.round((summary.forwarded + summary.updated) / Math.max(0.001, summary.durationMs / 1000));
  return summary;
}

/** The hub order as the target names it: its lines carry the target's product and variation ids. */
function targetView(order: Order, lines: TargetLine[]): Order {
  return {
    ...order,
    lines: order.lines.map((l, i) => {
      const { productRecordId: _r, ...rest } = l;
      const t = lines[i];
      return t?.ok ? { ...rest, productId: t.productId, variationId: t.variationId } : rest;
    }),
  };
}

async function createOne(connector: Connector, row: PendingRow, view: Order): Promise<Outcome> {
  try {
    const ack = await connector.write!('orders', { type: 'create', record: view }) as WriteAck<Order>;
    return { row, ok: true, kind: 'created', externalId: ack.externalId, ack: ack.record ?? view };
  } catch (err) {
    return { row, ok: false, error: asConnectorError(err) };
  }
}

async function updateOne(connector: Connector, conn: LoadedConnection, row: PendingRow): Promise<Outcome> {
  const { changes, patch } = diffOrder(projectOrder(row.data, conn.settings), row.ack, (f) => fieldMode(conn.settings, f).write);
  if (changes.length === 0) return { row, ok: true, kind: 'in_sync' };
  try {
    const ack = await connector.write!('orders', { type: 'update', externalId: row.external_id!, patch, record: row.data }) as WriteAck<Order>;
    return { row, ok: true, kind: 'updated', externalId: row.external_id!, ack: ack.record ?? { ...(row.ack ?? row.data), ...patch } };
  } catch (err) {
    return { row, ok: false, error: asConnectorError(err) };
  }
}

function asConnectorError(err: unknown): ConnectorError {
  return err instanceof ConnectorError ? err : new ConnectorError('bug', 'Unexpected error while writing', String(err));
}

/** Forwards that wait for their lines (an issue says which), and forwards of orders cancelled before they were sent. */
async function holdBack(
  ctx: JobContext, conn: LoadedConnection, held: { row: PendingRow; lines: TargetLine[] }[], cancelled: PendingRow[],
): Promise<void> {
  if (held.length === 0 && cancelled.length === 0) return;
  const { db } = ctx.hub;
  await db.tx(async (tx) => {
    if (held.length > 0) {
      await raiseIssues(db, held.map(({ row, lines }) => {
        const why = lines.map((l, i) => (l.ok ? null : `line ${i + 1}: ${l.reason}`)).filter(Boolean).join('; ');
        return {
          connectionId: conn.id, recordId: row.record_id, equivalenceId: row.equivalence_id, entity: 'order' as const,
          severity: 'error' as const, code: 'order_held', origin: 'send' as const, key: 'order_held',
          message: `Order ${row.data.number} is not forwarded to ${conn.name}: ${why}. Match the lines, or forward it anyway (POST /api/orders/${row.record_id}/forward).`,
        };
      }), tx);
      await db.rows(sql`update pending_changes set last_error = 'held: lines not matched'
        where equivalence_id = any(${uuidArray(held.map((h) => h.row.equivalence_id))})`, tx);
    }
    if (cancelled.length > 0) {
      // Never sent, so nothing exists there: the planned create just goes away (order_forwards keeps it from coming back).
      await db.rows(sql`delete from equivalences where external_id is null and create_attempted_at is null
        and id = any(${uuidArray(cancelled.map((r) => r.equivalence_id))})`, tx);
    }
  });
}

async function commitOutcomes(ctx: JobContext, conn: LoadedConnection, outcomes: Outcome[]): Promise<void> {
  const { db } = ctx.hub;
  const written = outcomes.filter((o): o is Extract<Outcome, { kind: 'created' | 'updated' }> => o.ok && o.kind !== 'in_sync');
  const inSync = outcomes.filter((o) => o.ok && o.kind === 'in_sync').map((o) => o.row.equivalence_id);
  const failed = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
  if (outcomes.length === 0) return;
  await db.tx(async (tx) => {
    if (written.length > 0) {
      const rows = written.map((o) => ({
        id: o.row.equivalence_id, record_id: o.row.record_id, external_id: o.externalId, ack: o.ack, fingerprint: fingerprint(o.ack),
        created: o.kind === 'created',
      }));
      // An answer naming an order this connection already holds for another record: a conflict, never a second binding.
      const taken = new Set((await db.rows<{ external_id: string }>(sql`
        select external_id from equivalences where connection_id = ${conn.id} and entity = 'order'
          and external_id = any(${textArray(rows.map((r) => r.external_id))})
          and id <> all(${uuidArray(rows.map((r) => r.id))})`, tx)).map((r) => r.external_id));
      const ok = rows.filter((r) => !taken.has(r.external_id));
      await db.rows(sql`update equivalences e set external_id = x.external_id, ack = x.ack, fingerprint = x.fingerprint,
          status = 'live', create_attempted_at = null, last_seen_at = now(), updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(ok)}::jsonb) as x(id uuid, external_id text, ack jsonb, fingerprint text)
        where e.id = x.id`, tx);
      await deletePending(ctx, ok.map((r) => r.id), tx);
      await resolveIssues(db, conn.id, 'send', ok.map((r) => ({ equivalenceId: r.id })), tx);
      await land(db, tx, ok.filter((r) => r.created).map((r) => r.record_id), conn.id);
      const conflicts = written.filter((o) => taken.has(o.externalId));
      await raiseIssues(db, conflicts.map((o) => ({
        connectionId: conn.id, recordId: o.row.record_id, equivalenceId: o.row.equivalence_id, entity: 'order' as const,
        externalId: null, severity: 'error' as const, code: 'conflict', origin: 'send' as const, key: 'conflict',
        message: `${conn.name} answered the create of order ${o.row.data.number} with id ${o.externalId}, which is already bound to another order`,
      })), tx);
    }
    if (inSync.length > 0) {
      await deletePending(ctx, inSync, tx);
      await db.rows(sql`update equivalences set status = 'live', updated_at = now()
        where status in ('pending_update', 'error') and external_id is not null and id = any(${uuidArray(inSync)})`, tx);
    }
    if (failed.length > 0) {
      const rows = failed.map((o) => ({
        id: o.row.equivalence_id, error: o.error.message,
        certain: o.row.external_id === null && !o.error.retryable && o.error.kind !== 'bug',
      }));
      await db.rows(sql`update pending_changes p set attempts = attempts + 1, last_error = x.error
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id uuid, error text, certain boolean)
        where p.equivalence_id = x.id`, tx);
      await db.rows(sql`update equivalences e set status = 'error',
          create_attempted_at = case when x.certain then null else e.create_attempted_at end, updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id uuid, error text, certain boolean)
        where e.id = x.id`, tx);
      const issues: NewIssue[] = failed.map((o) => ({
        connectionId: conn.id, recordId: o.row.record_id, equivalenceId: o.row.equivalence_id, entity: 'order',
        severity: 'error', code: `send_${o.error.kind}`, origin: 'send', key: 'send',
        message: `${o.row.external_id ? 'Update' : 'Forward'} of order ${o.row.data.number} to ${conn.name} failed: ${o.error.message}`,
        details: { detail: o.error.detail },
      }));
      await raiseIssues(db, issues, tx);
    }
  });
}

async function deletePending(ctx: JobContext, ids: string[], tx: Orm): Promise<void> {
  if (ids.length === 0) return;
  await ctx.hub.db.rows(sql`delete from pending_changes where equivalence_id = any(${uuidArray(ids)})`, tx);
}

/** Plans the forwarding of every order from another connection that this fulfilling connection was never given. */
async function forwardMissing(ctx: JobContext, conn: LoadedConnection, all: LoadedConnection[]): Promise<void> {
  const { db } = ctx.hub;
  // Every order read, on every send: only when orders were added, or changed status (a
  // cancelled one is not forwarded), since this connection's last complete look.
  const look = await startLook(db, 'forward', conn.id);
  if (!look) return;
  // The look pages through the orders: it must see all the mark counts from its first page on.
  const settled = await look.settled();
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await db.rows<{ id: string; source: string | null; data: Order }>(sql`
      select r.id, r.source_connection_id as source, r.data from records r
      where r.entity = 'order' and r.id > ${after}::uuid
        and r.source_connection_id is distinct from ${conn.id}::uuid
        and not exists (select 1 from order_forwards f where f.connection_id = ${conn.id} and f.order_record_id = r.id)
        and not exists (select 1 from equivalences e where e.record_id = r.id and e.connection_id = ${conn.id})
      order by r.id limit 500`);
    if (rows.length === 0) {
      if (settled) await look.save();
      return;
    }
    after = rows[rows.length - 1].id;
    await db.tx((tx) => planForwards(db, tx, rows, all.filter((c) => c.id === conn.id)));
  }
}

/**
 * Forwards that may have reached the platform (sent, answer lost, process killed):
 * read the platform's orders and bind the one with the same order number. Only after
 * a complete listing without it is it safe to send the forward again.
 */
async function recoverUncertainForwards(ctx: JobContext, conn: LoadedConnection, connector: Connector): Promise<number> {
  const { db } = ctx.hub;
  const uncertain = await db.rows<Uncertain>(sql`
    select e.id, e.record_id, r.sku as key from equivalences e join records r on r.id = e.record_id
    where e.connection_id = ${conn.id} and e.entity = 'order' and e.external_id is null and e.create_attempted_at is not null
    order by e.created_at, e.id`);
  if (uncertain.length === 0) return 0;
  const { found, missing, complete } = await findUncertain<Order, Uncertain>(ctx, conn, connector, 'orders', uncertain, (o) => o.number);
  await db.tx(async (tx) => {
    if (found.length > 0) {
      await db.rows(sql`update equivalences e set external_id = x.external_id, ack = x.ack, fingerprint = x.fingerprint,
          status = 'live', create_attempted_at = null, last_seen_at = now(), updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(found)}::jsonb) as x(id uuid, external_id text, ack jsonb, fingerprint text)
        where e.id = x.id`, tx);
      await deletePending(ctx, found.map((f) => f.id), tx);
      await land(db, tx, found.map((f) => f.record_id), conn.id);
      await resolveIssues(db, conn.id, 'send', found.map((f) => ({ equivalenceId: f.id })), tx);
      await raiseIssues(db, found.map((f) => ({
        connectionId: conn.id, recordId: f.record_id, equivalenceId: f.id, entity: 'order' as const, severity: 'notice' as const,
        code: 'create_recovered', origin: 'engine' as const, key: 'create_recovered',
        message: `An earlier forward of order ${f.key} to ${conn.name} had reached it (as ${f.external_id}); it was bound instead of sent again`,
      })), tx);
    }
    await settleMissing(ctx, conn, 'order', tx, missing, complete, (m) =>
      `A forward of order ${m.key} to ${conn.name} may have reached it, and its order list could not be read completely to check; it is held back to avoid a duplicate`);
  });
  return found.length;
}
