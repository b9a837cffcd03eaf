import { sql, type SQL } from 'drizzle-orm';
import type { Hub } from '../hub.js';

/**
 * The message of an issue with what varies from one record to the next masked:
 * quoted values, ids and every word holding a digit (SKUs, numbers, prices, paths
 * like `variations[0]`). Issues with the same code and pattern are one problem.
 * The same masking runs in SQL (`PATTERN_SQL`) so thousands of issues group in the database.
 *
 * @example maskMessage('Create of JBL-000123 failed: price "0.00" is not valid') // 'Create of # failed: price "…" is not valid'
 */
export function maskMessage(message: string): string {
  return message
    .replace(/"[^"]*"/g, '"…"')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/[A-Za-z0-9_./:-]*[0-9][A-Za-z0-9_./:-]*/g, '#');
}

const PATTERN_SQL = sql`regexp_replace(regexp_replace(regexp_replace(i.message,
  '"[^"]*"', '"…"', 'g'),
  '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'gi'),
  '[A-Za-z0-9_./:-]*[0-9][A-Za-z0-9_./:-]*', '#', 'g')`;

export interface TroubleshootFilter {
  connectionId?: string;
  severity?: string;
  /** Patterns returned, largest first (default 50). */
  limit?: number;
  /** Example records per pattern (default 3). */
  examples?: number;
}

const RANK: Record<string, number> = { error: 0, warning: 1, notice: 2 };

/**
 * Groups every open issue into patterns (severity, code, masked message) with their
 * counts, the connections they occur on and a few example records, largest first:
 * 5,000 issues of three kinds read as three lines.
 */
export async function troubleshoot(hub: Hub, f: TroubleshootFilter = {}) {
  const conds: SQL[] = [sql`i.resolved_at is null`];
  if (f.connectionId) conds.push(sql`i.connection_id = ${f.connectionId}::uuid`);
  if (f.severity) conds.push(sql`i.severity = ${f.severity}`);
  const where = sql.join(conds, sql` and `);
  const limit = f.limit ?? 50;
  const perPattern = f.examples ?? 3;
  const groups = await hub.db.rows<{
    severity: string; code: string; pattern: string; n: number; connections: string[] | null; records: number;
    first_seen: Date; last_seen: Date;
  }>(sql`
    with m as materialized (select i.*, ${PATTERN_SQL} as pattern from issues i where ${where})
    select severity, code, pattern, count(*)::int as n,
      array_agg(distinct connection_id::text) filter (where connection_id is not null) as connections,
      count(distinct coalesce(record_id::text, equivalence_id::text, external_id))::int as records,
      min(created_at) as first_seen, max(last_seen_at) as last_seen
    from m group by severity, code, pattern
    order by count(*) desc, severity, code, pattern limit ${limit}`);
  const [{ total }] = await hub.db.rows<{ total: number }>(sql`select count(*)::int as total from issues i where ${where}`);
  if (groups.length === 0) return { total, patterns: [] };
  const keys = groups.map((g) => ({ severity: g.severity, code: g.code, pattern: g.pattern }));
  const examples = await hub.db.rows<{
    severity: string; code: string; pattern: string; id: string; message: string; connection_id: string | null;
    external_id: string | null; record_id: string | null; sku: string | null; title: string | null;
  }>(sql`
    with m as materialized (select i.*, ${PATTERN_SQL} as pattern from issues i where ${where}),
    k as (select * from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as k(severity text, code text, pattern text)),
    ranked as (
      select m.*, row_number() over (partition by m.severity, m.code, m.pattern order by m.last_seen_at desc, m.id) as rn
      from m join k on k.severity = m.severity and k.code = m.code and k.pattern = m.pattern)
    select x.severity, x.code, x.pattern, x.id, x.message, x.connection_id, x.external_id,
      coalesce(x.record_id, e.record_id) as record_id, r.sku, r.data->>'title' as title
    from ranked x
    left join lateral (select e.record_id from equivalences e
      where e.id = x.equivalence_id
         or (x.equivalence_id is null and e.connection_id = x.connection_id and e.entity = x.entity and e.external_id = x.external_id)
      limit 1) e on x.record_id is null
    left join records r on r.id = coalesce(x.record_id, e.record_id)
    where x.rn <= ${perPattern}
    order by x.rn`);
  const names = new Map((await hub.db.rows<{ id: string; name: string }>(sql`select id, name from connections`)).map((c) => [c.id, c.name]));
  const keyOf = (x: { severity: string; code: string; pattern: string }) => `${x.severity}\u0000${x.code}\u0000${x.pattern}`;
  const byKey = new Map<string, typeof examples>();
  for (const e of examples) byKey.set(keyOf(e), [...(byKey.get(keyOf(e)) ?? []), e]);
  return {
    total,
    patterns: groups
      .sort((a, b) => b.n - a.n || (RANK[a.severity] ?? 9) - (RANK[b.severity] ?? 9))
      .map((g) => ({
        severity: g.severity,
        code: g.code,
        pattern: g.pattern,
        count: g.n,
        records: g.records,
        connections: (g.connections ?? []).map((id) => ({ id, name: names.get(id) ?? null })),
        firstSeen: g.first_seen,
        lastSeen: g.last_seen,
        examples: (byKey.get(keyOf(g)) ?? []).map((e) => ({
          issueId: e.id, message: e.message, recordId: e.record_id, sku: e.sku, title: e.title,
          connectionId: e.connection_id, externalId: e.external_id,
        })),
      })),
  };
}
