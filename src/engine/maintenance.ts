import { uuidArray } from '../db/index.js';
import { sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { Hub } from '../hub.js';
import { jobView, type JobView } from '../jobs/queue.js';
import { Product } from '../model/product.js';
import { Order } from '../model/order.js';
import {
  Notices, readCurrency, readList, readNumber, readQuantity, readString,
} from '../model/normalize.js';
import { listConnections } from './connections.js';
import { replanProducts } from './plan.js';
import { unplannedCounts } from './unplanned.js';
import { replanOrders } from './orders/plan.js';
import { raiseIssues } from './issues.js';
import { writeHistory, type HistoryRow } from './history.js';
import { isObject } from '../model/normalize.js';
import { LEASE_SECONDS, leaseOwner, renew } from '../jobs/locks.js';

/**
 * Maintenance: the integrity fix. Re-validates every stored record against the
 * current model, page by page; rewrites what no longer fits but can be read
 * (missing defaults, numbers stored as text, non-ISO currencies...), raises an
 * issue on each record that cannot be repaired, then recomputes every pending
 * change. It runs as a job (GET /api/jobs/:id) and its summary says what it changed.
 */
const BATCH = 500;
/** Readings that drop a value are not repairs: such a record is reported instead. */
const LOSSY = new Set(['number_invalid', 'list_invalid', 'string_invalid', 'date_invalid']);

export interface IntegritySummary {
  scanned: number;
  valid: number;
  repaired: number;
  invalid: number;
  replanned: number;
  pendingBefore: { inserts: number; updates: number };
  pendingAfter: { inserts: number; updates: number };
  repairedExamples: { recordId: string; entity: string; sku: string; fixes: string[] }[];
  invalidExamples: { recordId: string; entity: string; sku: string; problem: string }[];
  durationMs: number;
}

interface JobRow {
  id: string; type: string; connection_id: string | null; state: string; phase: string | null; done: number;
  total: number | null; summary: unknown; error: string | null; created_at: Date; started_at: Date | null; finished_at: Date | null;
}

const running = new WeakMap<Hub, Promise<void>>();

/**
 * Starts the integrity job, or returns the one already running. The job runs in this
 * process; its row in `jobs` carries progress and summary like any other job.
 *
 * @example const job = await startIntegrity(hub); // then GET /api/jobs/{job.id}
 */
export async function startIntegrity(hub: Hub): Promise<JobView> {
  // One at a time: the one this process runs, or one whose process (another API process) still renews its lease.
  const [existing] = await hub.db.rows<JobRow & { leased: boolean }>(sql`
    select *, coalesce(lease_expires_at > now(), false) as leased from jobs
    where type = 'integrity' and state in ('queued', 'running') order by created_at limit 1`);
  if (existing && (running.has(hub) || existing.leased)) {
    const { leased: _, ...job } = existing;
    return jobView(job as never);
  }
  // Leased like a worker's job, and renewed while it runs: the reaper leaves it alone, and
  // fails it (it is not queued again: nothing else would run it) once its process is gone.
  const [row] = await hub.db.rows<JobRow>(sql`insert into jobs (type, connection_id, state, phase, started_at, attempts, lease_owner, lease_expires_at)
    values ('integrity', null, 'running', 'validate', now(), 1, ${leaseOwner(hub)}, now() + make_interval(secs => ${LEASE_SECONDS})) returning *`);
  const heartbeat = setInterval(() => { renew(hub, row.id).catch(() => undefined); }, Math.max(500, (LEASE_SECONDS * 1000) / 3));
  heartbeat.unref();
  const update = async (fields: { state?: string; phase?: string; done?: number; total?: number; summary?: unknown; error?: string }) => {
    const [r] = await hub.db.rows<JobRow>(sql`update jobs set
        state = coalesce(${fields.state ?? null}, state), phase = coalesce(${fields.phase ?? null}, phase),
        done = coalesce(${fields.done ?? null}::int, done), total = coalesce(${fields.total ?? null}::int, total),
        summary = case when ${fields.summary !== undefined} then ${JSON.stringify(fields.summary ?? null)}::jsonb else summary end,
        error = coalesce(${fields.error ?? null}, error),
        finished_at = case when ${fields.state === 'completed' || fields.state === 'failed'} then now() else finished_at end,
        lease_owner = case when ${fields.state === 'completed' || fields.state === 'failed'} then null else lease_owner end
      where id = ${row.id} returning *`);
    if (r) hub.events.emit('job', jobView(r as never));
  };
  const work = runIntegrity(hub, row.id, update)
    .then((summary) => update({ state: 'completed', phase: 'done', summary }))
    .catch(async (err) => {
      hub.log.error({ err, jobId: row.id }, 'integrity fix failed');
      await update({ state: 'failed', error: `Unexpected error: ${(err as Error).message}` }).catch(() => undefined);
    })
    .finally(() => {
      clearInterval(heartbeat);
      running.delete(hub);
    });
  running.set(hub, work);
  const view = jobView(row as never);
  hub.events.emit('job', view);
  return view;
}

/** Resolves when this hub's integrity job (if any) has ended. */
export async function waitForIntegrity(hub: Hub): Promise<void> {
  await running.get(hub);
}

async function pendingCounts(hub: Hub) {
  const rows = await hub.db.rows<{ op: string; n: number }>(sql`select op, count(*)::int as n from pending_changes group by op`);
  const unplanned = [...(await unplannedCounts(hub.db)).values()].reduce((a, b) => a + b, 0);
  return { inserts: (rows.find((r) => r.op === 'insert')?.n ?? 0) + unplanned, updates: rows.find((r) => r.op === 'update')?.n ?? 0 };
}

async function runIntegrity(
  hub: Hub, jobId: string, progress: (f: { phase?: string; done?: number; total?: number }) => Promise<void>,
): Promise<IntegritySummary> {
  const started = Date.now();
  const s: IntegritySummary = {
    scanned: 0, valid: 0, repaired: 0, invalid: 0, replanned: 0, pendingBefore: await pendingCounts(hub),
    pendingAfter: { inserts: 0, updates: 0 }, repairedExamples: [], invalidExamples: [], durationMs: 0,
  };
  const [{ n: total }] = await hub.db.rows<{ n: number }>(sql`select count(*)::int as n from records`);
  await progress({ total, done: 0 });
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await hub.db.rows<{ id: string; entity: string; sku: string; data: unknown }>(sql`
      select id, entity, sku, data from records where id > ${after}::uuid order by id limit ${BATCH}`);
    if (rows.length === 0) break;
    after = rows[rows.length - 1].id;
    const repaired: { id: string; sku: string; data: unknown }[] = [];
    const history: HistoryRow[] = [];
    const valid: string[] = [];
    const invalid: { id: string; entity: string; sku: string; problem: string }[] = [];
    for (const r of rows) {
      const checked = r.entity === 'product' ? checkProduct(r.data) : r.entity === 'order' ? checkOrder(r.data) : null;
      if (!checked) continue;
      s.scanned++;
      if (checked.problem !== undefined) {
        invalid.push({ id: r.id, entity: r.entity, sku: r.sku, problem: checked.problem });
        continue;
      }
      valid.push(r.id);
      if (sameJson(checked.value, r.data)) continue;
      const next = checked.value as Record<string, unknown>;
      const old = (isObject(r.data) ? r.data : {}) as Record<string, unknown>;
      repaired.push({ id: r.id, sku: typeof next.sku === 'string' ? next.sku : r.sku, data: next });
      for (const k of new Set([...Object.keys(old), ...Object.keys(next)])) {
        if (!sameJson(old[k], next[k])) {
          history.push({ record_id: r.id, field: k, old_value: old[k] ?? null, new_value: next[k] ?? null, source_type: 'maintenance', source_id: null, job_id: jobId });
        }
      }
      if (s.repairedExamples.length < 20) {
        s.repairedExamples.push({ recordId: r.id, entity: r.entity, sku: r.sku, fixes: checked.fixes.length ? checked.fixes : ['completed to the current model'] });
      }
    }
    await hub.db.tx(async (tx) => {
      if (repaired.length > 0) {
        await hub.db.rows(sql`update records r set data = x.data, sku = coalesce(x.sku, r.sku), updated_at = now()
          from jsonb_to_recordset(${JSON.stringify(repaired)}::jsonb) as x(id uuid, sku text, data jsonb) where r.id = x.id`, tx);
        await writeHistory(hub.db, history, tx);
      }
      if (valid.length > 0) {
        await hub.db.rows(sql`update issues set resolved_at = now()
          where code = 'record_invalid' and origin = 'engine' and resolved_at is null
            and record_id = any(${uuidArray(valid)})`, tx);
      }
      await raiseIssues(hub.db, invalid.map((r) => ({
        connectionId: null, recordId: r.id, entity: r.entity as 'product' | 'order', severity: 'error' as const,
        code: 'record_invalid', origin: 'engine' as const, key: 'record_invalid',
        message: `The stored ${r.entity} ${r.sku || r.id} does not fit the current model and could not be repaired: ${r.problem}`,
      })), tx);
    });
    s.valid += valid.length;
    s.repaired += repaired.length;
    s.invalid += invalid.length;
    for (const r of invalid) if (s.invalidExamples.length < 20) s.invalidExamples.push({ recordId: r.id, entity: r.entity, sku: r.sku, problem: r.problem });
    await progress({ done: s.scanned });
  }
  await progress({ phase: 'propagate' });
  const connections = await listConnections(hub);
  s.replanned = await replanAll(hub, connections);
  s.pendingAfter = await pendingCounts(hub);
  s.durationMs = Date.now() - started;
  return s;
}

/** Recomputes the pending changes of every record that fits the model (the others have an issue and wait). */
async function replanAll(hub: Hub, connections: Awaited<ReturnType<typeof listConnections>>): Promise<number> {
  let n = 0;
  for (const entity of ['product', 'order'] as const) {
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await hub.db.rows<{ id: string; data: unknown }>(sql`
        select id, data from records where entity = ${entity} and id > ${after}::uuid order by id limit ${BATCH}`);
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      if (entity === 'product') {
        const ok = new Map<string, Product>();
        for (const r of rows) { const p = Product.safeParse(r.data); if (p.success) ok.set(r.id, p.data); }
        await hub.db.tx((tx) => replanProducts(hub.db, tx, ok, connections));
        n += ok.size;
      } else {
        const ok = new Map<string, Order>();
        for (const r of rows) { const o = Order.safeParse(r.data); if (o.success) ok.set(r.id, o.data); }
        await hub.db.tx((tx) => replanOrders(hub.db, tx, ok, connections));
        n += ok.size;
      }
    }
  }
  return n;
}

interface Checked {
  value?: unknown;
  fixes: string[];
  problem?: string;
}

function describe(err: z.ZodError): string {
  const first = err.issues[0];
  let where = '';
  for (const p of first.path) where += typeof p === 'number' ? `[${p}]` : `${where ? '.' : ''}${String(p)}`;
  return `${where || 'record'}: ${first.message}`;
}

/** A stored product as the current model has it: as is, completed, repaired with the tolerant readers, or a problem. */
export function checkProduct(raw: unknown): Checked {
  const first = Product.safeParse(raw);
  if (first.success) return { value: first.data, fixes: [] };
  if (!isObject(raw)) return { fixes: [], problem: `record: not an object (${Array.isArray(raw) ? 'a list' : typeof raw})` };
  const n = new Notices();
  const str = (v: unknown, f: string) => readString(v, f, n);
  const strings = (v: unknown, f: string) => readList(v, f, n).map((x, i) => str(isObject(x) && 'url' in x ? x.url : x, `${f}[${i}]`)).filter(Boolean);
  const status = raw.status === undefined || raw.status === null || raw.status === '' ? 'published' : String(raw.status).toLowerCase();
  const candidate = {
    sku: str(raw.sku, 'sku'), title: str(raw.title, 'title'), description: str(raw.description, 'description'),
    brand: str(raw.brand, 'brand'), mpn: str(raw.mpn, 'mpn'), model: str(raw.model, 'model'), url: str(raw.url, 'url'),
    tags: strings(raw.tags, 'tags'), categories: strings(raw.categories, 'categories'),
    status: status === 'unpublished' ? 'unpublished' : status === 'published' ? 'published' : (n.add('string_invalid', `status: "${status}" is not published or unpublished`, 'status'), 'published'),
    deliveryDays: (() => {
      const d = readQuantity(raw.deliveryDays, 'deliveryDays', n);
      return d === null || d < 0 ? null : d;
    })(),
    variations: readList(raw.variations, 'variations', n).map((v, i) => {
      const at = `variations[${i}]`;
      const o = isObject(v) ? v : (n.add('list_invalid', `${at}: not a variation`, at), {});
      return {
        sku: str(o.sku, `${at}.sku`), barcode: str(o.barcode, `${at}.barcode`), size: str(o.size, `${at}.size`), color: str(o.color, `${at}.color`),
        images: strings(o.images, `${at}.images`), videos: strings(o.videos, `${at}.videos`),
        availabilities: readList(o.availabilities, `${at}.availabilities`, n).map((a, j) => {
          const w = `${at}.availabilities[${j}]`;
          const x = isObject(a) ? a : {};
          return { tag: str(x.tag, `${w}.tag`) || 'default', quantity: readQuantity(x.quantity, `${w}.quantity`, n) };
        }).filter((a) => a.quantity !== null || (n.add('number_invalid', `${at}: a quantity could not be read`), false)),
        prices: readList(o.prices, `${at}.prices`, n).map((p, j) => {
          const w = `${at}.prices[${j}]`;
          const x = isObject(p) ? p : {};
          return { tag: str(x.tag, `${w}.tag`) || 'default', currency: readCurrency(x.currency, `${w}.currency`, n), amount: readNumber(x.amount, `${w}.amount`, n) };
        }).filter((p) => p.amount !== null || (n.add('number_invalid', `${at}: a price could not be read`), false)),
      };
    }),
  };
  const lossy = n.items.find((x) => LOSSY.has(x.code) || x.code === 'currency_unknown' || x.code === 'currency_missing');
  if (lossy) return { fixes: [], problem: `${describe(first.error)} (${lossy.message})` };
  const second = Product.safeParse(candidate);
  if (!second.success) return { fixes: [], problem: describe(first.error) };
  return { value: second.data, fixes: n.items.map((x) => x.message) };
}

/** A stored order as the current model has it, or the problem. */
export function checkOrder(raw: unknown): Checked {
  const parsed = Order.safeParse(raw);
  if (parsed.success) return { value: parsed.data, fixes: [] };
  return { fixes: [], problem: describe(parsed.error) };
}

/** Deep equality of JSON values, key order ignored (jsonb does not keep it). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameJson(a[k], b[k]));
  }
  return false;
}
