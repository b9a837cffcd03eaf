import { useEffect, useState } from 'react';
import { api, ApiError, type Connection, type Job, type JobType } from '../api';
import { currentJob, hubStore, useHub } from '../store';
import { ago, duration, hostOf, hueOf, initials, num } from '../format';
import { Icon } from '../ui/Icon';
import { toast } from '../ui/Toast';
import { Link } from '../router';
import { AddConnection } from './AddConnection';
import { SettingsModal } from './SettingsModal';
import { StatsModal } from './StatsModal';

export const KIND_LABELS: Record<string, string> = { custom: 'Custom storefront', vendure: 'Vendure', csv: 'CSV feed', json: 'JSON feed' };
export const kindLabel = (kind: string) => KIND_LABELS[kind] ?? kind.charAt(0).toUpperCase() + kind.slice(1);

export function ConnectionAvatar({ c, size = 40 }: { c: { id: string; name: string }; size?: number }) {
  const h = hueOf(c.id);
  return (
    <span className="avatar" style={{ width: size, height: size, fontSize: size * 0.38, background: `hsl(${h} 70% 94%)`, color: `hsl(${h} 55% 32%)`, borderColor: `hsl(${h} 60% 86%)` }} aria-hidden="true">
      {initials(c.name)}
    </span>
  );
}

export function ConnectionsPage() {
  const hub = useHub();
  const [adding, setAdding] = useState(false);
  const [settingsFor, setSettingsFor] = useState<string | null>(null);
  const [statsFor, setStatsFor] = useState<string | null>(null);
  const [totals, setTotals] = useState<{ products: number | null; orders: number | null }>({ products: null, orders: null });

  useEffect(() => {
    let alive = true;
    const load = () => Promise.all([
      api<{ total: number }>('GET', '/api/products?limit=1').then((r) => r.total).catch(() => null),
      api<{ total: number }>('GET', '/api/orders?limit=1').then((r) => r.total).catch(() => null),
    ]).then(([products, orders]) => { if (alive) setTotals({ products, orders }); });
    void load();
    const off = hubStore.onJobEnd(() => { void load(); });
    return () => { alive = false; off(); };
  }, []);

  const pending = hub.connections.reduce((n, c) => n + (c.pending?.total ?? 0), 0);
  const issues = hub.connections.reduce((n, c) => n + (c.openIssues ?? 0), 0);
  const running = Object.values(hub.jobs).filter((j) => j.state === 'running' || j.state === 'queued').length;
  const settings = hub.connections.find((c) => c.id === settingsFor);
  const stats = hub.connections.find((c) => c.id === statsFor);

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Connections</h1>
          <p className="muted">Every place you sell, kept in sync. Fetch reads a platform, send writes the queued changes to it.</p>
        </div>
        <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}><Icon name="plus" size={16} />Add connection</button>
      </div>

      {hub.connections.length > 0 && (
        <section className="kpis" aria-label="Overview">
          <Kpi label="Connections" value={num(hub.connections.length)} icon="connections" optional />
          <Kpi label="Products in the hub" value={num(totals.products)} icon="box" to="/products" />
          <Kpi label="Queued changes" value={num(pending)} icon="send" tone={pending ? 'accent' : undefined} />
          <Kpi label="Open issues" value={num(issues)} icon="warning" tone={issues ? 'danger' : undefined} to="/troubleshoot" />
          <Kpi label="Jobs running" value={num(running)} icon="activity" optional />
        </section>
      )}

      {hub.error && <div className="callout callout-error" role="alert"><Icon name="error" size={16} />{hub.error}</div>}

      {!hub.loaded ? (
        <div className="grid-cards">{[0, 1].map((i) => <div key={i} className="card conn-card skeleton" />)}</div>
      ) : hub.connections.length === 0 ? (
        <div className="empty-state card">
          <div className="empty-icon"><Icon name="store" size={28} /></div>
          <h2>Connect your first storefront</h2>
          <p className="muted">Add the shops, marketplaces and systems where you sell. channelsync reads their catalogs, recognises the same product everywhere and keeps price, stock and orders in step.</p>
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}><Icon name="plus" size={16} />Add connection</button>
        </div>
      ) : (
        <div className="grid-cards">
          {hub.connections.map((c) => (
            <ConnectionCard key={c.id} c={c} jobs={hub.jobs} onSettings={() => setSettingsFor(c.id)} onStats={() => setStatsFor(c.id)} />
          ))}
        </div>
      )}

      {adding && <AddConnection onClose={() => setAdding(false)} />}
      {settings && <SettingsModal c={settings} onClose={() => setSettingsFor(null)} />}
      {stats && <StatsModal c={stats} onClose={() => setStatsFor(null)} />}
    </div>
  );
}

function Kpi({ label, value, icon, tone, to, optional }: { label: string; value: string; icon: 'connections' | 'box' | 'send' | 'warning' | 'activity'; tone?: 'accent' | 'danger'; to?: string; optional?: boolean }) {
  const body = (
    <>
      <span className={`kpi-icon ${tone ?? ''}`}><Icon name={icon} size={18} /></span>
      <span className="kpi-text"><span className="kpi-value">{value}</span><span className="kpi-label">{label}</span></span>
    </>
  );
  const cls = `kpi card ${optional ? 'kpi-optional' : ''}`;
  return to ? <Link to={to} className={cls}>{body}</Link> : <div className={cls}>{body}</div>;
}

const STATE_LABEL: Record<string, string> = { idle: 'Idle', fetching: 'Fetching', sending: 'Sending', syncing: 'Syncing', paused: 'Paused' };

/** One connection: its state, counts, live progress and the six buttons. */
export function ConnectionCard({ c, jobs, onSettings, onStats }: { c: Connection; jobs: Record<string, Job>; onSettings: () => void; onStats: () => void }) {
  const [busy, setBusy] = useState<string | null>(null);
  const { active, last } = currentJob(jobs, c.id);
  const state = c.paused ? 'paused' : active?.state === 'running' ? ({ fetch: 'fetching', send: 'sending', sync: 'syncing' } as Record<string, string>)[active.type] ?? c.state : c.state === 'paused' ? 'idle' : c.state;
  const queued = c.pending?.total ?? 0;
  const live = c.equivalences?.live ?? 0;

  const start = async (type: JobType) => {
    setBusy(type);
    try {
      const res = await api<{ jobId: string; job?: Job }>('POST', `/api/connections/${c.id}/${type}`);
      if (res.job) hubStore.trackJob(res.job);
    } catch (err) {
      toast('error', `Could not start ${type} on ${c.name}`, (err as Error).message);
    } finally {
      setBusy(null);
    }
  };
  const togglePause = async () => {
    setBusy('pause');
    try {
      const next = await api<Connection>('POST', `/api/connections/${c.id}/${c.paused ? 'resume' : 'pause'}`);
      hubStore.replaceConnection(next);
    } catch (err) {
      toast('error', `Could not ${c.paused ? 'resume' : 'pause'} ${c.name}`, err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  };
  const host = hostOf(c.config?.productsUrl ?? c.config?.url ?? c.config?.apiUrl);
  const jobRunning = !!active;

  return (
    <article className={`card conn-card ${c.paused ? 'is-paused' : ''}`} aria-labelledby={`conn-${c.id}`} data-connection={c.name}>
      <header className="conn-head">
        <ConnectionAvatar c={c} />
        <div className="conn-title">
          <h2 id={`conn-${c.id}`}>{c.name}</h2>
          <span className="muted small">{kindLabel(c.kind)}{host ? ` · ${host}` : ''}</span>
        </div>
        <span className={`state-pill state-${state}`} data-testid="state">
          {state === 'paused' ? <Icon name="lock" size={12} /> : <span className="state-dot" />}
          {STATE_LABEL[state] ?? state}
        </span>
      </header>

      <dl className="conn-stats">
        <div><dt>In sync</dt><dd>{num(live)}</dd></div>
        <div><dt><span className="dot dot-insert" />To create</dt><dd>{num(c.pending?.inserts ?? 0)}</dd></div>
        <div><dt><span className="dot dot-update" />To update</dt><dd>{num(c.pending?.updates ?? 0)}</dd></div>
        <div>
          <dt>Issues</dt>
          <dd className={c.openIssues ? 'text-danger' : ''}>
            {c.openIssues ? <Link to={`/troubleshoot?connection=${c.id}`} className="plain-link">{num(c.openIssues)}</Link> : '0'}
          </dd>
        </div>
      </dl>

      <JobStatus active={active} last={last} paused={c.paused} />

      <div className="conn-actions">
        <div className="btn-group" role="group" aria-label={`${c.name} jobs`}>
        <button type="button" className="btn btn-action" onClick={() => start('fetch')} disabled={c.paused || busy !== null}
          title="Fetch updates: scan every product and order on this platform, recognise what changed and plan it for the other connections">
          <Icon name="fetch" size={16} /><span>Fetch</span>
        </button>
        <button type="button" className="btn btn-action" onClick={() => start('send')} disabled={c.paused || busy !== null}
          title={`Send updates: write the ${num(queued)} queued change${queued === 1 ? '' : 's'} to this platform`}
          aria-label={`Send${queued ? ` (${queued} queued change${queued === 1 ? '' : 's'})` : ''}`}>
          <Icon name="send" size={16} /><span>Send</span>
          {queued > 0 && <span className="badge-count" data-testid="send-badge">{queued > 9999 ? '9999+' : num(queued)}</span>}
        </button>
        <button type="button" className="btn btn-action" onClick={() => start('sync')} disabled={c.paused || busy !== null}
          title="Sync: fetch and send together; sending does not wait for the fetch to finish">
          <Icon name="sync" size={16} className={jobRunning && active?.state === 'running' ? 'spin' : ''} /><span>Sync</span>
        </button>
        </div>
        <div className="btn-group" role="group" aria-label={`${c.name} controls`}>
        <button type="button" className={`icon-btn bordered ${c.paused ? 'is-on' : ''}`} onClick={togglePause} disabled={busy !== null}
          aria-label={c.paused ? `Resume ${c.name}` : `Pause ${c.name}`} aria-pressed={c.paused}
          title={c.paused ? 'Resume: let jobs read and write this connection again' : 'Pause: lock this connection so no job reads from or writes to it'}>
          <Icon name={c.paused ? 'play' : 'pause'} size={16} />
        </button>
        <button type="button" className="icon-btn bordered" onClick={onSettings} aria-label={`Settings of ${c.name}`} title="Settings"><Icon name="settings" size={16} /></button>
        <button type="button" className="icon-btn bordered" onClick={onStats} aria-label={`Stats of ${c.name}`} title="Stats and maintenance"><Icon name="stats" size={16} /></button>
        </div>
      </div>
    </article>
  );
}

const PHASES: Record<string, string> = {
  waiting: 'Waiting for the connection', scan: 'Scanning', analyse: 'Analysing', propagate: 'Propagating', send: 'Sending', done: 'Finishing',
};
const phaseLabel = (phase: string | null) => (phase ?? '').split('+').map((p) => PHASES[p] ?? p).filter(Boolean).join(' + ') || 'Starting';
const TYPE_LABEL: Record<string, string> = { fetch: 'Fetch', send: 'Send', sync: 'Sync' };

function JobStatus({ active, last, paused }: { active: Job | null; last: Job | null; paused: boolean }) {
  if (active) {
    const pct = active.total ? Math.min(100, Math.round((active.done / active.total) * 100)) : null;
    const label = active.state === 'queued' ? 'Queued, starting in a moment' : phaseLabel(active.phase);
    return (
      <div className="job job-active" data-testid="job-progress" aria-live="polite">
        <div className="job-line">
          <span className="job-type">{TYPE_LABEL[active.type] ?? active.type}</span>
          <span className="job-phase">{label}</span>
          <span className="job-count">{active.total ? `${num(active.done)} / ${num(active.total)}` : active.done ? num(active.done) : ''}</span>
        </div>
        <div className={`progress ${pct === null ? 'indeterminate' : ''}`} role="progressbar" aria-label={`${TYPE_LABEL[active.type] ?? active.type} progress`}
          aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct ?? undefined}>
          <div className="progress-bar" style={{ width: pct === null ? undefined : `${Math.max(pct, 3)}%` }} />
        </div>
      </div>
    );
  }
  if (!last) {
    return (
      <div className="job job-empty">
        <Icon name="info" size={14} />
        <span>{paused ? 'Paused. Resume it to run jobs.' : 'Not fetched yet. Fetch reads this platform\'s catalog into the hub.'}</span>
      </div>
    );
  }
  const ok = last.state === 'completed';
  const lines = summarize(last);
  return (
    <div className={`job job-done job-${last.state}`} data-testid="job-summary">
      <div className="job-line">
        <Icon name={ok ? 'checkCircle' : last.state === 'cancelled' ? 'pause' : 'error'} size={14} className="job-state-icon" />
        <span className="job-type">{TYPE_LABEL[last.type] ?? last.type} {ok ? 'finished' : last.state === 'cancelled' ? 'stopped' : 'failed'}</span>
        <span className="muted small job-when">{ago(last.finishedAt ?? last.createdAt)}</span>
      </div>
      {!ok && last.error && <p className="job-error">{last.error}</p>}
      {lines.length > 0 && (
        <ul className="job-summary">
          {lines.map((l, i) => <li key={i}>{l}</li>)}
        </ul>
      )}
    </div>
  );
}

/** A job's summary as short sentences, whatever lanes (fetch, send, fetchOrders…) and entities it has. */
export function summarize(job: Job): string[] {
  const out: string[] = [];
  const summary = (job.summary ?? {}) as Record<string, unknown>;
  const visit = (lane: string, s: Record<string, unknown>, entity?: string) => {
    const n = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : 0);
    const what = String(s.entity ?? entity ?? 'records');
    const quiet = what !== 'products' && ['scanned', 'created', 'updated', 'forwarded', 'failed'].every((k) => n(k) === 0);
    if (quiet) return;
    if (lane.startsWith('fetch') && 'scanned' in s) {
      const parts = [`${num(n('scanned'))} ${what} scanned`, `${num(n('created'))} new`, `${num(n('changed'))} changed`];
      if (n('bound')) parts.push(`${num(n('bound'))} matched`);
      if (n('invalid')) parts.push(`${num(n('invalid'))} invalid`);
      if (typeof s.durationMs === 'number') parts.push(duration(s.durationMs));
      out.push(parts.join(' · '));
    } else if (lane.startsWith('send') && ('created' in s || 'updated' in s || 'forwarded' in s)) {
      const parts = 'forwarded' in s
        ? [`${num(n('forwarded'))} ${what} forwarded`, `${num(n('updated'))} updated`]
        : [`${num(n('created'))} ${what} created`, `${num(n('updated'))} updated`];
      if (n('failed')) parts.push(`${num(n('failed'))} failed`);
      if (n('recovered')) parts.push(`${num(n('recovered'))} recovered`);
      if (typeof s.durationMs === 'number') parts.push(duration(s.durationMs));
      out.push(parts.join(' · '));
    } else {
      for (const [k, v] of Object.entries(s)) if (v && typeof v === 'object' && !Array.isArray(v)) visit(lane, v as Record<string, unknown>, k);
    }
  };
  for (const [lane, s] of Object.entries(summary)) if (s && typeof s === 'object') visit(lane, s as Record<string, unknown>);
  return out;
}
