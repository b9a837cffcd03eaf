import { sql } from 'drizzle-orm';
import { uuidArray } from '../../db/index.js';
import { RELEASING_STATUSES, type Order } from '../../model/order.js';
import { fieldMode } from '../../model/settings.js';
import type { Connector, WriteAck } from '../../connectors/types.js';
import type { JobContext } from '../../jobs/context.js';
import type { LoadedConnection } from '../connections.js';
import { openConnector } from '../connector.js';
import { raiseIssues, resolveIssues } from '../issues.js';
import { diffOrder } from './diff.js';
import { projectOrder } from '../mapping/orders.js';
import { land } from './ledger.js';
import { mapLinesTo, type TargetLine } from './lines.js';
import { planForwards } from './plan.js';
import { countPending } from '../plan.js';
import { findUncertain, settleMissing, type Uncertain } from '../uncertain.js';
import { mapLimit } from '../map-limit.js';
import { startLook } from '../net-marks.js';
import {
  asConnectorError, commitOutcomes, deletePending, pendingPages, SEND_CONCURRENCY, SendTally, type CommitHooks, type WriteOutcome,
} from '../send-common.js';

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

type Outcome = WriteOutcome<PendingRow, Order>;

/** What an order send says about its writes; an order forwarded lands there (its reservations end when that stock is read). */
const commitHooks = (db: JobContext['hub']['db'], conn: LoadedConnection): CommitHooks<PendingRow, Order> => ({
  entity: 'order',
  conflict: (o) => `${conn.name} answered the create of order ${o.row.data.number} with id ${o.externalId}, which is already bound to another order`,
  failure: (o) => `${o.row.external_id ? 'Update' : 'Forward'} of order ${o.row.data.number} to ${conn.name} failed: ${o.error.message}`,
  afterWritten: (tx, rows) => land(db, tx, rows.filter((r) => r.created).map((r) => r.record_id), conn.id),
});

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
  const tally = new SendTally();
  const hooks = commitHooks(db, conn);
  let waiting = 0;
  for await (const page of pendingPages(ctx, conn.id)) {
    const rows = await db.rows<PendingRow>(sql`
      select pc.equivalence_id, pc.op, pc.planned_at::text as planned, e.external_id, e.ack, e.create_attempted_at, r.id as record_id, r.data, f.forced
      from pending_changes pc
      join equivalences e on e.id = pc.equivalence_id
      join records r on r.id = pc.record_id
      left join order_forwards f on f.connection_id = e.connection_id and f.order_record_id = e.record_id
      where pc.equivalence_id = any(${uuidArray(page)}) and e.entity = 'order'
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
    waiting += uncertain.length;

    if (creates.length > 0) {
      await db.rows(sql`update equivalences set create_attempted_at = now()
        where id = any(${uuidArray(creates.map((c) => c.row.equivalence_id))})`);
    }
    const work: Array<() => Promise<Outcome>> = [
      ...creates.map((c) => () => createOne(connector, c.row, c.view)),
      ...updates.map((row) => () => updateOne(connector, conn, row)),
    ];
    const outcomes = await mapLimit(work, SEND_CONCURRENCY, (fn) => fn());
    await commitOutcomes(ctx, conn, outcomes, hooks);
    tally.count(outcomes);
    ctx.progress('send', 'send', done, Math.max(total, done));
  }
  Object.assign(summary, { forwarded: tally.created, updated: tally.updated, inSync: tally.inSync, failed: tally.failed + waiting });
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
