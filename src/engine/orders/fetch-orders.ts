import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import { textArray, uuidArray, type Orm } from '../../db/index.js';
import { RELEASING_STATUSES, type Order } from '../../model/order.js';
import { fieldMode } from '../../model/settings.js';
import type { ReadEvent } from '../../connectors/types.js';
import { pausePoll, type JobContext } from '../../jobs/context.js';
import type { LoadedConnection } from '../connections.js';
import { openConnector } from '../connector.js';
import { fingerprint } from '../diff.js';
import { raiseIssues, resolveIssues, type NewIssue } from '../issues.js';
import { cleanReadEvent } from '../clean-read.js';
import { applyOrderChanges, diffOrder, toHubOrder, type OrderFieldChange } from './diff.js';
import { land, releaseOrders, reserve, type NewReservation } from './ledger.js';
import { matchLines, type LineMatch } from './lines.js';
import { planForwards, replanOrders } from './plan.js';
import { projectOrder } from '../mapping/orders.js';
import { replanProductIds } from './reservations.js';
import { expireHolds, holdPolicy, type HoldPolicy } from './hold.js';

/** Orders analysed per transaction. */
const PAGE = 250;

export interface OrderFetchSummary {
  entity: 'orders';
  scanned: number;
  unchanged: number;
  changed: number;
  created: number;
  /** Orders the hub had forwarded here, recognised on their way back (echo guard). */
  echoes: number;
  invalid: number;
  notices: number;
  /** Lines of the orders analysed in this fetch that could not be matched to a hub product. */
  unmatchedLines: number;
  /** Unchanged orders with unmatched lines, looked at again in case their products arrived. */
  rematched: number;
  /** Units newly reserved, and orders whose reservations ended (cancelled, refunded). */
  reserved: number;
  released: number;
  forwardsPlanned: number;
  complete: boolean;
  warning?: string;
  durationMs: number;
  perSecond: number;
}

type RecordEvent = Extract<ReadEvent<Order>, { type: 'record' }>;
type InvalidEvent = Extract<ReadEvent<Order>, { type: 'invalid' }>;

const NOTICE_SEVERITY: Record<string, NewIssue['severity']> = {
  currency_unknown: 'warning', number_invalid: 'warning', line_quantity_invalid: 'warning', status_unknown: 'warning',
  text_cleaned: 'warning',
};

/**
 * Fetch of a connection's orders: scan page by page, analyse each order against what
 * this connection last acknowledged, and propagate. A new order becomes a hub record
 * (its lines matched to hub products), reserves its stock when it comes from a
 * connection that does not fulfil orders, and is planned for forwarding to the
 * fulfilling connections. An order the hub forwarded here is bound to its record
 * (echo guard). Fulfilment changes (status, shipments...) flow into the record and
 * are planned for every other connection holding the order.
 */
export async function fetchOrders(ctx: JobContext, conn: LoadedConnection, all: LoadedConnection[]): Promise<OrderFetchSummary> {
  const { hub } = ctx;
  const started = Date.now();
  const connector = openConnector(hub, conn, ctx.signal);
  const summary: OrderFetchSummary = {
    entity: 'orders', scanned: 0, unchanged: 0, changed: 0, created: 0, echoes: 0, invalid: 0, notices: 0, unmatchedLines: 0, rematched: 0,
    reserved: 0, released: 0, forwardsPlanned: 0, complete: false, durationMs: 0, perSecond: 0,
  };
  let total: number | null = null;
  let records: RecordEvent[] = [];
  let invalid: InvalidEvent[] = [];
  // Holds that no stock reading will ever end are ended first, with a notice on their orders.
  await hub.db.tx(async (tx) => {
    const expired = await expireHolds(hub.db, tx, all);
    if (expired.orders === 0) return;
    await raiseIssues(hub.db, expired.issues, tx);
    await replanProductIds(hub.db, tx, expired.products, all);
    summary.released += expired.orders;
  });
  const policy = await holdPolicy(hub.db, conn, all);
  const flush = async () => {
    if (records.length === 0 && invalid.length === 0) return;
    await ctx.checkpoint();
    const page = records;
    const bad = invalid;
    records = [];
    invalid = [];
    const wrote = summary.created + summary.changed;
    await analyseOrders(ctx, conn, all, page, bad, summary, policy);
    ctx.progress('fetch', 'analyse', summary.scanned, total);
    ctx.hub.db.housekeeping.noteWrites(6 * (summary.created + summary.changed - wrote));
    await ctx.hub.db.housekeeping.maybeRun();
  };
  ctx.progress('fetch', 'scan', 0, null);
  // A webhook's hint: just these orders, and the clock stays.
  const hint = ctx.scope?.ids?.orders;
  const from = hint ? null : (conn.clocks.orders as { cursor?: Record<string, unknown> } | undefined)?.cursor ?? null;
  // Checked while scanning too, not only once a page of orders is full: a slow platform fills one slowly.
  const pauseCheck = pausePoll(ctx);
  for await (const ev of connector.read('orders', from, hint ? { ids: hint } : undefined)) {
    await pauseCheck();
    if (ev.type === 'total') {
      total = ev.total;
      ctx.progress('fetch', 'scan', summary.scanned, total);
    } else if (ev.type === 'record') {
      records.push(cleanReadEvent(ev));
      if (records.length >= PAGE) await flush();
    } else if (ev.type === 'invalid') {
      invalid.push(cleanReadEvent(ev));
      if (invalid.length >= PAGE) await flush();
    } else if (ev.type === 'checkpoint') {
      summary.complete = ev.complete !== false;
      if (ev.warning) summary.warning = ev.warning;
      await flush();
      if (hint) continue;
      const clock = { cursor: ev.cursor, lastScanAt: new Date().toISOString(), complete: summary.complete, jobId: ctx.jobId };
      await hub.db.rows(sql`update connections set clocks = jsonb_set(clocks, '{orders}', ${JSON.stringify(clock)}::jsonb),
        updated_at = now() where id = ${conn.id}`);
    }
  }
  await flush();
  if (hint) {
    // A read of a few ids says nothing about the listing as a whole.
  } else if (summary.warning) {
    await raiseIssues(hub.db, [{
      connectionId: conn.id, entity: 'order', severity: 'warning', code: 'scan_incomplete', origin: 'engine',
      message: `The last order scan of ${conn.name} stopped early: ${summary.warning}`, key: 'order_scan_incomplete',
    }]);
  } else {
    await hub.db.rows(sql`update issues set resolved_at = now() where connection_id = ${conn.id} and entity = 'order'
      and code = 'scan_incomplete' and origin = 'engine' and resolved_at is null`);
  }
  summary.durationMs = Date.now() - started;
  summary.perSecond = Math.round(summary.scanned / Math.max(0.001, summary.durationMs / 1000));
  ctx.progress('fetch', 'propagate', summary.scanned, total ?? summary.scanned);
  return summary;
}

interface EqLite { id: string; external_id: string; record_id: string; fingerprint: string | null; status: string }
interface RecordLite { id: string; data: Order; source_connection_id: string | null }

async function analyseOrders(
  ctx: JobContext, conn: LoadedConnection, all: LoadedConnection[],
  page: RecordEvent[], bad: InvalidEvent[], summary: OrderFetchSummary, policy: HoldPolicy,
): Promise<void> {
  const { db } = ctx.hub;
  const detect = (f: Parameters<typeof fieldMode>[1]) => fieldMode(conn.settings, f).detect;
  const views = [...new Map(page.map((e) => [e.externalId, e])).values()];
  summary.scanned += page.length;
  summary.invalid += bad.length;
  const fps = new Map(views.map((v) => [v.externalId, fingerprint(v.record)]));

  await db.tx(async (tx) => {
    const existing = await db.rows<EqLite>(sql`
      select id, external_id, record_id, fingerprint, status from equivalences
      where connection_id = ${conn.id} and entity = 'order' and external_id = any(${textArray(views.map((v) => v.externalId))})`, tx);
    const byExt = new Map(existing.map((e) => [e.external_id, e]));
    // Orders whose lines could not all be matched are looked at again on every fetch: a product may have arrived since.
    const unmatchedEqs = new Set(existing.length === 0 ? [] : (await db.rows<{ equivalence_id: string }>(sql`
      select distinct equivalence_id from issues where connection_id = ${conn.id} and resolved_at is null
        and code = 'order_line_unmatched' and equivalence_id = any(${uuidArray(existing.map((e) => e.id))})`, tx)).map((r) => r.equivalence_id));
    const unchanged: string[] = [];
    const changed: { view: RecordEvent; eq: EqLite }[] = [];
    const fresh: RecordEvent[] = [];
    for (const v of views) {
      const e = byExt.get(v.externalId);
      if (!e) fresh.push(v);
      else if (e.fingerprint === fps.get(v.externalId) && e.status !== 'gone' && !unmatchedEqs.has(e.id)) unchanged.push(e.id);
      else changed.push({ view: v, eq: e });
    }
    summary.unchanged += unchanged.length;
    if (unchanged.length > 0) {
      await db.rows(sql`update equivalences set last_seen_at = now(), last_scan_id = ${ctx.jobId}
        where id = any(${uuidArray(unchanged)})`, tx);
    }
    if (changed.length === 0 && fresh.length === 0 && bad.length === 0) return;

    // Forwards the hub attempted on this connection, by order number: the way back of an order it created here.
    const numbers = [...new Set(fresh.map((v) => v.record.number))];
    const pending = numbers.length === 0 ? [] : await db.rows<{ id: string; record_id: string; number: string }>(sql`
      select e.id, e.record_id, r.sku as number from equivalences e join records r on r.id = e.record_id
      where e.connection_id = ${conn.id} and e.entity = 'order' and e.external_id is null and e.create_attempted_at is not null
        and r.sku = any(${textArray(numbers)})
      order by e.created_at, e.id`, tx);
    const pendingByNumber = new Map<string, typeof pending>();
    for (const p of pending) pendingByNumber.set(p.number, [...(pendingByNumber.get(p.number) ?? []), p]);

    const loadIds = [...new Set([...changed.map((c) => c.eq.record_id), ...pending.map((p) => p.record_id)])];
    const loaded = await db.rows<RecordLite>(sql`
      select id, data, source_connection_id from records where id = any(${uuidArray(loadIds)})`, tx);
    const current = new Map(loaded.map((r) => [r.id, r.data]));
    const sourceOf = new Map(loaded.map((r) => [r.id, r.source_connection_id]));
    const acks = changed.length === 0 ? [] : await db.rows<{ id: string; ack: Order | null }>(sql`
      select id, ack from equivalences where id = any(${uuidArray(changed.map((c) => c.eq.id))})`, tx);
    const ackById = new Map(acks.map((a) => [a.id, a.ack]));

    const before = new Map<string, Order>();
    const history: HistoryRow[] = [];
    const touch = (id: string, next: Order, changes: OrderFieldChange[]) => {
      if (!before.has(id)) before.set(id, current.get(id)!);
      if (changes.length === 0) return;
      current.set(id, next);
      for (const c of changes) history.push({ record_id: id, field: c.path, old_value: c.old, new_value: c.new });
    };
    const eqUpdates: Record<string, unknown>[] = [];
    const echoes: { eqId: string; recordId: string }[] = [];
    const issues: NewIssue[] = [];
    const subjects: { externalId?: string; equivalenceId?: string }[] = [];
    const rematch: { view: RecordEvent; eqId: string; recordId: string }[] = [];
    // Where each scanned order now lives in the hub, so its notices are shown on the order.
    const placeOf = new Map<string, { recordId: string; equivalenceId: string }>();

    for (const { view, eq } of changed) {
      const record = current.get(eq.record_id)!;
      const { changes } = diffOrder(view.record, ackById.get(eq.id) ?? null, detect);
      touch(eq.record_id, applyOrderChanges(record, view.record, changes), changes);
      if (unmatchedEqs.has(eq.id) && sourceOf.get(eq.record_id) === conn.id) rematch.push({ view, eqId: eq.id, recordId: eq.record_id });
      eqUpdates.push({ id: eq.id, ack: view.record, fingerprint: fps.get(view.externalId), external_id: view.externalId });
      placeOf.set(view.externalId, { recordId: eq.record_id, equivalenceId: eq.id });
      if (eq.fingerprint === fps.get(view.externalId) && eq.status !== 'gone') summary.rematched++;
      else summary.changed++;
    }
    const newViews: RecordEvent[] = [];
    for (const view of fresh) {
      const echo = pendingByNumber.get(view.record.number)?.shift();
      if (!echo) {
        newViews.push(view);
        continue;
      }
      // The order the hub created here: same record, source unchanged; what this connection changed since counts.
      const record = current.get(echo.record_id)!;
      const { changes } = diffOrder(view.record, projectOrder(record, conn.settings), detect);
      touch(echo.record_id, applyOrderChanges(record, view.record, changes), changes);
      eqUpdates.push({ id: echo.id, ack: view.record, fingerprint: fps.get(view.externalId), external_id: view.externalId });
      echoes.push({ eqId: echo.id, recordId: echo.record_id });
      placeOf.set(view.externalId, { recordId: echo.record_id, equivalenceId: echo.id });
      subjects.push({ equivalenceId: echo.id });
      summary.echoes++;
    }

    // New orders and orders whose lines are matched again.
    const toMatch = [...newViews.map((v) => v.record), ...rematch.map((r) => r.view.record)];
    const matches = toMatch.length === 0 ? [] : await matchLines(db, tx, conn.id, toMatch);
    const reservations: NewReservation[] = [];
    const reserveLines = (orderId: string, order: Order, m: LineMatch[]) => {
      if (!policy.mayHold(order)) return;
      const sums = new Map<string, NewReservation>();
      m.forEach((x, i) => {
        const qty = order.lines[i]?.quantity ?? 0;
        if (!x.ok || qty <= 0) return;
        const k = `${x.line.productRecordId}|${x.line.key}`;
        const row = sums.get(k) ?? { order_record_id: orderId, product_record_id: x.line.productRecordId, variation: x.line.key, quantity: 0, source_connection_id: conn.id };
        row.quantity += qty;
        sums.set(k, row);
      });
      reservations.push(...sums.values());
    };
    const lineIssues = (recordId: string, eqId: string, externalId: string, order: Order, m: LineMatch[]) => {
      m.forEach((x, i) => {
        if (x.ok) return;
        const line = order.lines[i];
        summary.unmatchedLines++;
        issues.push({
          connectionId: conn.id, recordId, equivalenceId: eqId, entity: 'order', externalId, severity: 'error',
          code: 'order_line_unmatched', origin: 'fetch', key: `order_line_unmatched|${i}`,
          message: `Order ${order.number}, line ${i + 1} (${line.quantity} x ${line.sku || line.title || 'unnamed item'}): ${x.reason}. ` +
            'The order is kept but not forwarded until the line is matched or someone forwards it anyway.',
          details: { line: i, productId: line.productId ?? null, variationId: line.variationId ?? null, sku: line.sku },
        });
      });
    };

    const newRecords: { id: string; sku: string; data: Order }[] = [];
    const eqInserts: Record<string, unknown>[] = [];
    newViews.forEach((view, i) => {
      const id = crypto.randomUUID();
      const eqId = crypto.randomUUID();
      const data = toHubOrder(view.record, matches[i]);
      newRecords.push({ id, sku: data.number, data });
      eqInserts.push({ id: eqId, record_id: id, external_id: view.externalId, ack: view.record, fingerprint: fps.get(view.externalId) });
      subjects.push({ externalId: view.externalId, equivalenceId: eqId });
      placeOf.set(view.externalId, { recordId: id, equivalenceId: eqId });
      lineIssues(id, eqId, view.externalId, view.record, matches[i]);
      reserveLines(id, data, matches[i]);
      summary.created++;
    });
    rematch.forEach((r, k) => {
      const m = matches[newViews.length + k];
      const record = current.get(r.recordId)!;
      const lines = toHubOrder(r.view.record, m).lines;
      const change: OrderFieldChange = { field: 'order', path: 'lines', kind: 'update', old: record.lines, new: lines };
      touch(r.recordId, { ...record, lines }, JSON.stringify(lines) === JSON.stringify(record.lines) ? [] : [change]);
      lineIssues(r.recordId, r.eqId, r.view.externalId, r.view.record, m);
      reserveLines(r.recordId, current.get(r.recordId)!, m);
    });
    for (const { view, eq } of changed) subjects.push({ externalId: view.externalId, equivalenceId: eq.id });
    for (const v of [...fresh, ...changed.map((c) => c.view)]) {
      for (const n of v.notices) {
        issues.push({
          connectionId: conn.id, entity: 'order', externalId: v.externalId, ...placeOf.get(v.externalId),
          severity: NOTICE_SEVERITY[n.code] ?? 'notice',
          code: n.code, message: `Order ${v.record.number}: ${n.message}`, origin: 'fetch', key: `${n.code}|${n.field ?? ''}`,
        });
        summary.notices++;
      }
    }
    for (const b of bad) {
      if (b.externalId) subjects.push({ externalId: b.externalId });
      issues.push({
        connectionId: conn.id, entity: 'order', externalId: b.externalId, severity: 'error', code: b.code,
        message: b.message, origin: 'fetch', key: b.code,
      });
    }

    // Writes, batched.
    if (newRecords.length > 0) {
      await db.rows(sql`insert into records (id, entity, sku, data, source_connection_id)
        select id, 'order', sku, data, ${conn.id}::uuid
        from jsonb_to_recordset(${JSON.stringify(newRecords)}::jsonb) as x(id uuid, sku text, data jsonb)`, tx);
      history.push(...newRecords.map((r) => ({ record_id: r.id, field: '*', old_value: null, new_value: null })));
      await db.rows(sql`insert into equivalences (id, connection_id, record_id, entity, external_id, ack, fingerprint, status, last_seen_at, last_scan_id)
        select id, ${conn.id}::uuid, record_id, 'order', external_id, ack, fingerprint, 'live', now(), ${ctx.jobId}
        from jsonb_to_recordset(${JSON.stringify(eqInserts)}::jsonb)
          as x(id uuid, record_id uuid, external_id text, ack jsonb, fingerprint text)
        on conflict do nothing`, tx);
    }
    const updated = [...before.keys()].filter((id) => current.get(id) !== before.get(id));
    if (updated.length > 0) {
      await db.rows(sql`update records r set data = x.data, updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(updated.map((id) => ({ id, data: current.get(id) })))}::jsonb)
          as x(id uuid, data jsonb) where r.id = x.id`, tx);
    }
    await insertHistory(ctx, conn.id, history, tx);
    if (eqUpdates.length > 0) {
      await db.rows(sql`update equivalences e set ack = x.ack, fingerprint = x.fingerprint, external_id = x.external_id,
          status = case when e.status in ('gone', 'pending_insert', 'error') then 'live' else e.status end,
          create_attempted_at = null, last_seen_at = now(), last_scan_id = ${ctx.jobId}, updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(eqUpdates)}::jsonb) as x(id uuid, ack jsonb, fingerprint text, external_id text)
        where e.id = x.id`, tx);
    }
    if (echoes.length > 0) {
      await db.rows(sql`delete from pending_changes where op = 'insert'
        and equivalence_id = any(${uuidArray(echoes.map((e) => e.eqId))})`, tx);
      await resolveIssues(db, conn.id, 'send', echoes.map((e) => ({ equivalenceId: e.eqId })), tx);
      await land(db, tx, echoes.map((e) => e.recordId), conn.id);
    }
    await resolveIssues(db, conn.id, 'fetch', subjects, tx);
    await raiseIssues(db, issues, tx);

    const products = new Set<string>();
    const reserved = await reserve(db, tx, reservations);
    // No fulfiller: the source's own next stock reading counts the sale.
    if (policy.landOn && reservations.length > 0) await land(db, tx, [...new Set(reservations.map((r) => r.order_record_id))], policy.landOn);
    for (const p of reserved.products) products.add(p);
    summary.reserved += reserved.units;
    const closed = updated.filter((id) => RELEASING_STATUSES.includes(current.get(id)!.status)
      && !RELEASING_STATUSES.includes(before.get(id)!.status));
    if (closed.length > 0) {
      const released = await releaseOrders(db, tx, closed, `order ${current.get(closed[0])!.status}`);
      summary.released += closed.length;
      for (const p of released) products.add(p);
    }
    summary.forwardsPlanned += await planForwards(db, tx, newRecords.map((r) => ({ id: r.id, source: conn.id, data: r.data })), all);
    await replanOrders(db, tx, new Map(updated.map((id) => [id, current.get(id)!])), all);
    await replanProductIds(db, tx, products, all);
  });
}

interface HistoryRow { record_id: string; field: string; old_value: unknown; new_value: unknown }

async function insertHistory(ctx: JobContext, sourceId: string, rows: HistoryRow[], tx: Orm): Promise<void> {
  if (rows.length === 0) return;
  await ctx.hub.db.rows(sql`insert into record_history (record_id, field, old_value, new_value, source_type, source_id, job_id)
    select record_id, field, old_value, new_value, 'connection', ${sourceId}, ${ctx.jobId}::uuid
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as x(record_id uuid, field text, old_value jsonb, new_value jsonb)`, tx);
}
