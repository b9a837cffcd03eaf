import { sql } from 'drizzle-orm';
import type { Hub } from '../hub.js';
import { getConnection } from './connections.js';
import { unplannedCount } from './unplanned.js';

const STATUSES = ['live', 'pending_insert', 'pending_update', 'error', 'gone'] as const;

interface JobRow {
  id: string;
  type: string;
  state: string;
  started_at: Date | null;
  finished_at: Date | null;
  summary: Record<string, Record<string, unknown> | undefined> | null;
  error: string | null;
}

/**
 * A connection's quick stats (the "Stats" button): per entity, the records it holds,
 * its equivalences by status (live / pending insert / pending update / error / gone),
 * how many have open issues and pending changes; then the last fetch and send with
 * their duration and throughput, and the clocks.
 *
 * @example (await connectionStats(hub, id)).products.equivalences.gone
 */
export async function connectionStats(hub: Hub, id: string) {
  const conn = await getConnection(hub, id);
  const eqs = await hub.db.rows<{ entity: string; status: string; n: number; records: number }>(sql`
    select entity, status, count(*)::int as n, count(distinct record_id)::int as records
    from equivalences where connection_id = ${id} group by entity, status`);
  const held = await hub.db.rows<{ entity: string; n: number }>(sql`
    select entity, count(distinct record_id)::int as n from equivalences
    where connection_id = ${id} and status <> 'gone' group by entity`);
  const pending = await hub.db.rows<{ entity: string; op: string; n: number }>(sql`
    select e.entity, pc.op, count(*)::int as n from pending_changes pc join equivalences e on e.id = pc.equivalence_id
    where pc.connection_id = ${id} group by e.entity, pc.op`);
  // Issues raised while reading name the listing by external id; the others by equivalence.
  const withIssues = await hub.db.rows<{ entity: string; n: number }>(sql`
    select e.entity, count(distinct e.id)::int as n from equivalences e
    where e.connection_id = ${id} and exists (select 1 from issues i
      where i.connection_id = ${id} and i.resolved_at is null and i.severity <> 'notice'
        and (i.equivalence_id = e.id or (i.equivalence_id is null and i.entity = e.entity and i.external_id = e.external_id)))
    group by e.entity`);
  const issues = await hub.db.rows<{ severity: string; n: number }>(sql`
    select severity, count(*)::int as n from issues where connection_id = ${id} and resolved_at is null group by severity`);

  // Products this connection absorbs and does not list yet: planned creates its send stores (unplanned.ts).
  const unplanned = await unplannedCount(hub.db, id);
  const entity = (name: 'product' | 'order') => {
    const owed = name === 'product' ? unplanned : 0;
    const equivalences = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<(typeof STATUSES)[number], number> & { total: number };
    equivalences.total = 0;
    for (const r of eqs.filter((e) => e.entity === name)) {
      (equivalences as Record<string, number>)[r.status] = r.n;
      equivalences.total += r.n;
    }
    equivalences.pending_insert += owed;
    equivalences.total += owed;
    const inserts = (pending.find((p) => p.entity === name && p.op === 'insert')?.n ?? 0) + owed;
    const updates = pending.find((p) => p.entity === name && p.op === 'update')?.n ?? 0;
    return {
      records: (held.find((h) => h.entity === name)?.n ?? 0) + owed,
      equivalences,
      withIssues: withIssues.find((w) => w.entity === name)?.n ?? 0,
      pending: { inserts, updates, total: inserts + updates },
    };
  };

  const lastJob = async (types: string[]) => {
    const [row] = await hub.db.rows<JobRow>(sql`
      select id, type, state, started_at, finished_at, summary, error from jobs
      where connection_id = ${id} and type = any(${`{${types.join(',')}}`}::text[]) and state in ('completed', 'failed', 'cancelled')
      order by finished_at desc nulls last, created_at desc limit 1`);
    return row ?? null;
  };
  const timing = (j: JobRow) => {
    const durationMs = j.started_at && j.finished_at ? new Date(j.finished_at).getTime() - new Date(j.started_at).getTime() : null;
    return { jobId: j.id, type: j.type, state: j.state, startedAt: j.started_at, finishedAt: j.finished_at, durationMs, error: j.error };
  };
  const fetchJob = await lastJob(['fetch', 'sync']);
  const sendJob = await lastJob(['send', 'sync']);
  const f = fetchJob?.summary?.fetch;
  const s = sendJob?.summary?.send;
  const perSecond = (n: number, ms: number | null) => (ms && ms > 0 ? Math.round(n / (ms / 1000)) : null);
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  return {
    connectionId: conn.id,
    name: conn.name,
    kind: conn.kind,
    paused: conn.paused,
    products: entity('product'),
    orders: entity('order'),
    issues: { error: 0, warning: 0, notice: 0, ...Object.fromEntries(issues.map((i) => [i.severity, i.n])) },
    lastFetch: fetchJob ? {
      ...timing(fetchJob),
      scanned: num(f?.scanned), changed: num(f?.changed), created: num(f?.created), complete: f?.complete ?? null,
      durationMs: typeof f?.durationMs === 'number' ? f.durationMs : timing(fetchJob).durationMs,
      perSecond: typeof f?.perSecond === 'number' ? f.perSecond : perSecond(num(f?.scanned), timing(fetchJob).durationMs),
      deletions: f?.deletions ?? null,
      summary: fetchJob.summary,
    } : null,
    lastSend: sendJob ? {
      ...timing(sendJob),
      created: num(s?.created), updated: num(s?.updated), failed: num(s?.failed),
      durationMs: typeof s?.durationMs === 'number' ? s.durationMs : timing(sendJob).durationMs,
      perSecond: typeof s?.perSecond === 'number' ? s.perSecond : perSecond(num(s?.created) + num(s?.updated), timing(sendJob).durationMs),
      summary: sendJob.summary,
    } : null,
    clocks: conn.clocks,
  };
}
