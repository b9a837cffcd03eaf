import { sql, type SQL } from 'drizzle-orm';
import type { Hub } from '../hub.js';
import { ApiError } from '../http/errors.js';

/**
 * Compiles a set expression (comma-separated sets, intersected) into a
 * parameterised SQL condition on `records r`. Values never reach the SQL text.
 */
export async function compileSet(hub: Hub, entity: 'product' | 'order', q: string): Promise<SQL> {
  const parts = splitSets(q);
  if (parts.length === 0) return sql`true`;
  const conns = await hub.db.rows<{ id: string; name: string; kind: string }>(sql`select id, name, kind from connections`);
  const connectionIds = (name: string): string[] => {
    const n = name.toLowerCase();
    const ids = conns.filter((c) => c.name.toLowerCase() === n || c.kind.toLowerCase() === n).map((c) => c.id);
    if (ids.length === 0) throw ApiError.badRequest(`q: no connection named "${name}"`, 'q');
    return ids;
  };
  const conds = parts.map((p): SQL => {
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^on\s+(.+)$/i))) {
      return sql`exists (select 1 from equivalences e where e.record_id = r.id and e.status <> 'gone'
        and e.connection_id in (select jsonb_array_elements_text(${JSON.stringify(connectionIds(unquote(m[1])))}::jsonb)::uuid))`;
    }
    if ((m = p.match(/^with\s+pending\s+(updates|creates|inserts)\s+to\s+(.+)$/i))) {
      const op = m[1].toLowerCase() === 'updates' ? 'update' : 'insert';
      return sql`exists (select 1 from pending_changes pc where pc.record_id = r.id and pc.op = ${op}
        and pc.connection_id in (select jsonb_array_elements_text(${JSON.stringify(connectionIds(unquote(m[2])))}::jsonb)::uuid))`;
    }
    if (/^with\s+issues$/i.test(p)) {
      return sql`exists (select 1 from issues i where i.record_id = r.id and i.resolved_at is null and i.severity <> 'notice')`;
    }
    if (/^without\s+issues$/i.test(p)) {
      return sql`not exists (select 1 from issues i where i.record_id = r.id and i.resolved_at is null and i.severity <> 'notice')`;
    }
    throw ApiError.badRequest(`q: "${p}" is not a set this hub understands (try: on "Shop B", with pending updates to "Shop B", with issues)`, 'q');
  });
  void entity;
  return sql.join(conds, sql` and `);
}

/** Splits on commas outside double quotes. */
export function splitSets(q: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of q) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim().replace(/\s+/g, ' ')).filter(Boolean);
}

function unquote(s: string): string {
  const t = s.trim();
  return t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}
