import { useEffect, useState } from 'react';
import { api, apiOptional, type Issue } from '../api';
import { hubStore, useHub } from '../store';
import { Link, navigate, useLocation } from '../router';
import { num } from '../format';
import { Icon } from '../ui/Icon';
import { SeverityIcon } from './RecordDetail';

interface Pattern {
  pattern: string;
  code: string;
  severity: string;
  count: number;
  connections: string[];
  records?: number;
  examples: Array<{ id: string; label: string }>;
}

/** Same code and same message once numbers, ids and quoted values are masked: one pattern. */
export function maskMessage(message: string): string {
  return message
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '#')
    .replace(/\b[A-Z0-9]+(?:-[A-Z0-9]+){1,}\b/g, '#')
    .replace(/\d+(?:[.,]\d+)?/g, '#');
}

function groupLocally(issues: Issue[]): Pattern[] {
  const groups = new Map<string, Pattern>();
  for (const i of issues) {
    const pattern = maskMessage(i.message);
    const key = `${i.code}\u0000${pattern}`;
    const g = groups.get(key) ?? { pattern, code: i.code, severity: i.severity, count: 0, connections: [], examples: [] };
    g.count++;
    if (i.connectionId && !g.connections.includes(i.connectionId)) g.connections.push(i.connectionId);
    if (i.recordId && g.examples.length < 3 && !g.examples.some((e) => e.id === i.recordId)) g.examples.push({ id: i.recordId, label: i.externalId ? `#${i.externalId}` : `record ${g.examples.length + 1}` });
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

function normalize(data: unknown): Pattern[] {
  const d = data as { items?: unknown[]; patterns?: unknown[] } | unknown[];
  const arr = (Array.isArray(d) ? d : d.items ?? d.patterns ?? []) as Array<Record<string, unknown>>;
  return arr.map((p) => {
    const examples = (Array.isArray(p.examples) ? p.examples : Array.isArray(p.exampleRecords) ? p.exampleRecords : []) as unknown[];
    const conns = (Array.isArray(p.connections) ? p.connections : Array.isArray(p.connectionIds) ? p.connectionIds : p.connectionId ? [p.connectionId] : []) as unknown[];
    return {
      pattern: String(p.pattern ?? p.message ?? p.template ?? ''),
      code: String(p.code ?? ''),
      severity: String(p.severity ?? 'warning'),
      count: Number(p.count ?? p.n ?? 0),
      records: typeof p.records === 'number' ? p.records : undefined,
      connections: conns.map((c) => (typeof c === 'string' ? c : String((c as Record<string, unknown>).id ?? (c as Record<string, unknown>).connectionId ?? ''))).filter(Boolean),
      examples: examples.map((x, i) => {
        if (typeof x === 'string') return { id: x, label: `record ${i + 1}` };
        const o = x as Record<string, unknown>;
        const label = [o.sku, o.title].filter((v) => typeof v === 'string' && v).join(' · ') || (o.externalId ? `#${String(o.externalId)}` : `record ${i + 1}`);
        return { id: String(o.recordId ?? o.id ?? ''), label };
      }).filter((e, i, all) => e.id && e.id !== 'null' && all.findIndex((x) => x.id === e.id) === i),
    };
  });
}

/** The products behind a pattern, as a set expression: its severity, on its one connection. */
function productsSet(p: Pattern): string {
  const sets = [p.severity === 'error' ? 'with errors' : p.severity === 'warning' ? 'with warnings' : p.severity === 'notice' ? 'with notices' : 'with issues'];
  const name = hubStore.getSnapshot().connections.find((c) => c.id === p.connections[0])?.name;
  if (p.connections.length === 1 && name) sets.push(`on ${/^[\p{L}\p{N}_-]+$/u.test(name) ? name : `"${name}"`}`);
  return sets.join(', ');
}

/** All open issues as patterns with counts, largest first, so thousands read as a few lines. */
export function TroubleshootPage() {
  const hub = useHub();
  const { query } = useLocation();
  const connection = query.get('connection');
  const [patterns, setPatterns] = useState<Pattern[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    const load = async () => {
      try {
        const qs = connection ? `?connectionId=${connection}` : '';
        const grouped = await apiOptional<unknown>('GET', `/api/issues/troubleshoot${qs}`);
        let list = grouped ? normalize(grouped) : groupLocally((await api<{ items: Issue[] }>('GET', `/api/issues?limit=5000${connection ? `&connectionId=${connection}` : ''}`)).items);
        if (connection) list = list.filter((p) => p.connections.length === 0 || p.connections.includes(connection));
        if (alive) { setPatterns(list); setError(null); }
      } catch (err) {
        if (alive) setError((err as Error).message);
      }
    };
    void load();
    const off = hubStore.onJobEnd(() => { void load(); });
    return () => { alive = false; off(); };
  }, [connection]);

  const total = patterns?.reduce((n, p) => n + p.count, 0) ?? 0;
  const max = patterns?.reduce((n, p) => Math.max(n, p.count), 0) ?? 0;
  const name = (id: string) => hub.connections.find((c) => c.id === id)?.name ?? 'a deleted connection';

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Troubleshoot</h1>
          <p className="muted">Open issues grouped into patterns, largest first: fix the cause once and every record with it follows.</p>
        </div>
        {hub.connections.length > 0 && (
          <label className="select-label">
            <span className="sr-only">Connection</span>
            <select value={connection ?? ''} onChange={(e) => navigate(`/troubleshoot${e.target.value ? `?connection=${e.target.value}` : ''}`, { replace: true })}>
              <option value="">All connections</option>
              {hub.connections.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
            </select>
          </label>
        )}
      </div>
      {error && <div className="callout callout-error" role="alert"><Icon name="error" size={16} />{error}</div>}
      {patterns === null && !error && <div className="card skeleton" style={{ height: 200 }} />}
      {patterns && patterns.length === 0 && (
        <div className="empty-state card">
          <div className="empty-icon ok"><Icon name="checkCircle" size={28} /></div>
          <h2>Nothing to fix</h2>
          <p className="muted">There are no open issues{connection ? ` on ${name(connection)}` : ''}. Issues appear here when a platform rejects a write or a record cannot be read.</p>
        </div>
      )}
      {patterns && patterns.length > 0 && (
        <>
          <p className="muted small">{num(total)} issues in {num(patterns.length)} pattern{patterns.length === 1 ? '' : 's'}</p>
          <ol className="patterns">
            {patterns.map((p, i) => (
              <li key={i} className={`card pattern sev-border-${p.severity}`}>
                <div className="pattern-count">
                  <strong>{num(p.count)}</strong>
                  <span className={`pattern-bar bar-${p.severity}`}><span style={{ width: `${max ? Math.max(4, (p.count / max) * 100) : 0}%` }} /></span>
                </div>
                <div className="pattern-body">
                  <p className="pattern-msg"><SeverityIcon severity={p.severity} />{p.pattern}</p>
                  <p className="muted small">
                    <span className="mono">{p.code}</span>
                    {p.connections.length > 0 && <> · on {p.connections.map(name).join(', ')}</>}
                    {p.records !== undefined && <> · {num(p.records)} record{p.records === 1 ? '' : 's'}</>}
                  </p>
                  {p.examples.length > 0 && (
                    <p className="pattern-examples small">
                      <span className="muted">Examples:</span>{p.examples.map((e) => <Link key={e.id} to={`/products/${e.id}`}>{e.label}</Link>)}
                    </p>
                  )}
                </div>
                <button type="button" className="btn btn-sm" onClick={() => navigate(`/products?q=${encodeURIComponent(productsSet(p))}`)}>
                  Show products<Icon name="arrowRight" size={14} />
                </button>
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
