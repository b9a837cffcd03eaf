import { useEffect, useMemo, useState } from 'react';
import { api, ApiError, apiOptional, type Connection, type Job } from '../api';
import { hubStore } from '../store';
import { Modal } from '../ui/Modal';
import { Tabs } from '../ui/Form';
import { Icon } from '../ui/Icon';
import { toast } from '../ui/Toast';
import { ago, dateTime, duration, num, parseDate } from '../format';
import { ConnectionAvatar, kindLabel } from './Connections';

type Tab = 'numbers' | 'throughput' | 'maintenance';

interface Point { job: Job; at: Date; records: number; seconds: number; rate: number }

/** Records a job moved: scanned by its fetch lane plus written by its send lane. */
function recordsOf(job: Job): number {
  let n = 0;
  const visit = (lane: string, s: Record<string, unknown>) => {
    if (lane === 'fetch' && typeof s.scanned === 'number') n += s.scanned;
    else if (lane === 'send' && (typeof s.created === 'number' || typeof s.updated === 'number')) n += Number(s.created ?? 0) + Number(s.updated ?? 0) + Number(s.inSync ?? 0);
    else for (const v of Object.values(s)) if (v && typeof v === 'object' && !Array.isArray(v)) visit(lane, v as Record<string, unknown>);
  };
  for (const [lane, s] of Object.entries(job.summary ?? {})) if (s && typeof s === 'object') visit(lane, s as Record<string, unknown>);
  return n || job.done || 0;
}

function points(jobs: Job[]): Point[] {
  return jobs
    .filter((j) => j.state === 'completed' && j.startedAt && j.finishedAt)
    .map((job) => {
      const start = parseDate(job.startedAt)!;
      const at = parseDate(job.finishedAt)!;
      const seconds = Math.max(0.001, (at.getTime() - start.getTime()) / 1000);
      const records = recordsOf(job);
      return { job, at, records, seconds, rate: records / seconds };
    })
    .sort((a, b) => a.at.getTime() - b.at.getTime());
}

interface EntityStats { records: number; equivalences: Record<string, number>; withIssues: number; pending: { inserts: number; updates: number } }
interface LastRun { finishedAt?: string | null; startedAt?: string | null; durationMs?: number | null; perSecond?: number | null; scanned?: number; created?: number; changed?: number; updated?: number; failed?: number; state?: string }
interface StatsShape { products?: EntityStats; orders?: EntityStats; lastFetch?: LastRun | null; lastSend?: LastRun | null }

/** The stats window: counts, a chart of job throughput over time, and maintenance. */
export function StatsModal({ c, onClose }: { c: Connection; onClose: () => void }) {
  const [tab, setTab] = useState<Tab>('numbers');
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [stats, setStats] = useState<StatsShape | null | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let alive = true;
    const load = () => {
      void api<{ items: Job[] }>('GET', `/api/connections/${c.id}/jobs?limit=200`).then((r) => { if (alive) setJobs(r.items); }).catch(() => { if (alive) setJobs([]); });
      void apiOptional<StatsShape>('GET', `/api/connections/${c.id}/stats`).then((s) => { if (alive) setStats(s); }).catch(() => { if (alive) setStats(null); });
    };
    load();
    const off = hubStore.onJobEnd((j) => { if (j.connectionId === c.id) load(); });
    return () => { alive = false; off(); };
  }, [c.id]);

  const pts = useMemo(() => points(jobs ?? []), [jobs]);
  const lastOf = (type: string) => (jobs ?? []).find((j) => j.state === 'completed' && (j.type === type || j.type === 'sync'));
  const eq = c.equivalences ?? {};
  const totalEq = Object.values(eq).reduce((n, v) => n + v, 0);
  const prod = stats?.products;
  const ord = stats?.orders;
  const fromJob = (type: string, lane: 'fetch' | 'send'): LastRun | null => {
    const j = lastOf(type);
    if (!j) return null;
    const s = (j.summary?.[lane] ?? {}) as Record<string, number>;
    return { ...s, finishedAt: j.finishedAt, startedAt: j.startedAt };
  };
  const lastFetch = stats ? stats.lastFetch ?? null : fromJob('fetch', 'fetch');
  const lastSend = stats ? stats.lastSend ?? null : fromJob('send', 'send');

  const integrity = async () => {
    setBusy(true);
    try {
      const res = await api<{ jobId?: string; job?: Job }>('POST', '/api/maintenance/integrity', {});
      if (res.job) hubStore.trackJob(res.job);
      toast('success', 'Integrity fix started', 'Stored records are re-checked and pending changes recomputed; the result shows when it ends.');
    } catch (e) {
      if (e instanceof ApiError && e.missing) toast('error', 'This hub has no integrity fix yet', 'It has no POST /api/maintenance/integrity; update the hub.');
      else toast('error', 'Could not start the integrity fix', (e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title={`Stats of ${c.name}`} subtitle={kindLabel(c.kind)} icon={<ConnectionAvatar c={c} size={36} />} onClose={onClose} size="lg"
      footer={<button type="button" className="btn" onClick={onClose}>Close</button>}>
      <Tabs label="Stats sections" value={tab} onChange={setTab} tabs={[['numbers', 'Numbers'], ['throughput', 'Throughput'], ['maintenance', 'Maintenance']]} />
      <div className="tab-panel" role="tabpanel">
        {tab === 'numbers' && (
          <>
            <h3 className="section-title">Products</h3>
            <div className="stat-grid">
              <Stat label="Listed here" value={num(prod?.records ?? totalEq)} />
              <Stat label="In sync" value={num(prod?.equivalences.live ?? eq.live ?? 0)} dot="live" />
              <Stat label="To create" value={num(prod?.pending.inserts ?? c.pending?.inserts ?? 0)} dot="insert" />
              <Stat label="To update" value={num(prod?.pending.updates ?? c.pending?.updates ?? 0)} dot="update" />
              <Stat label="Gone" value={num(prod?.equivalences.gone ?? eq.gone ?? 0)} />
              <Stat label="With issues" value={num(prod?.withIssues ?? c.openIssues ?? 0)} tone={(prod?.withIssues ?? c.openIssues) ? 'danger' : undefined} />
            </div>
            {ord && (ord.records > 0 || (ord.equivalences.total ?? 0) > 0) && (
              <>
                <h3 className="section-title">Sales orders</h3>
                <div className="stat-grid">
                  <Stat label="Orders here" value={num(ord.records)} />
                  <Stat label="To create" value={num(ord.pending.inserts)} dot="insert" />
                  <Stat label="To update" value={num(ord.pending.updates)} dot="update" />
                </div>
              </>
            )}
            <div className="last-jobs">
              <LastJob title="Last fetch" run={lastFetch} lane="fetch" />
              <LastJob title="Last send" run={lastSend} lane="send" />
            </div>
          </>
        )}
        {tab === 'throughput' && (jobs === null ? <div className="skeleton" style={{ height: 240 }} /> : <ThroughputChart pts={pts} />)}
        {tab === 'maintenance' && (
          <div className="form">
            <div className="maint">
              <div className="maint-icon"><Icon name="wand" size={20} /></div>
              <div>
                <h3>Data integrity fix</h3>
                <p className="muted">Re-checks every stored record against the current data model, repairs what can be repaired, raises an issue on what cannot, and recomputes every pending change. Run it after upgrading channelsync.</p>
                <button type="button" className="btn" onClick={integrity} disabled={busy}><Icon name="wand" size={16} />{busy ? 'Starting…' : 'Run integrity fix'}</button>
              </div>
            </div>
          </div>
        )}
      </div>
    </Modal>
  );
}

function Stat({ label, value, dot, tone }: { label: string; value: string; dot?: string; tone?: 'danger' }) {
  return (
    <div className={`stat ${tone ?? ''}`}>
      <span className="stat-label">{dot && <span className={`dot dot-${dot}`} />}{label}</span>
      <span className="stat-value">{value}</span>
    </div>
  );
}

function LastJob({ title, run, lane }: { title: string; run: LastRun | null; lane: 'fetch' | 'send' }) {
  const ms = typeof run?.durationMs === 'number' ? run.durationMs
    : run?.finishedAt && run.startedAt ? parseDate(run.finishedAt)!.getTime() - parseDate(run.startedAt)!.getTime() : null;
  return (
    <div className="last-job">
      <h4>{title}</h4>
      {!run ? <p className="muted small">Not run yet.</p> : (
        <dl className="kv compact">
          <div><dt>When</dt><dd>{ago(run.finishedAt ?? null)}{run.state && run.state !== 'completed' ? ` (${run.state})` : ''}</dd></div>
          <div><dt>Duration</dt><dd>{duration(ms)}</dd></div>
          <div><dt>Throughput</dt><dd>{typeof run.perSecond === 'number' ? `${num(run.perSecond)} records/s` : '—'}</dd></div>
          {lane === 'fetch'
            ? <div><dt>Scanned</dt><dd>{num(run.scanned ?? 0)} ({num(run.created ?? 0)} new, {num(run.changed ?? 0)} changed)</dd></div>
            : <div><dt>Written</dt><dd>{num(run.created ?? 0)} created, {num(run.updated ?? 0)} updated{run.failed ? `, ${num(run.failed)} failed` : ''}</dd></div>}
        </dl>
      )}
    </div>
  );
}

const TYPE_COLOR: Record<string, string> = { fetch: 'var(--c-fetch)', send: 'var(--c-send)', sync: 'var(--c-sync)' };

/** Records per second of each finished job, over time, as an SVG bar chart. */
export function ThroughputChart({ pts }: { pts: Point[] }) {
  if (pts.length === 0) {
    return <div className="empty-inline"><Icon name="stats" size={16} />No finished jobs yet: run a fetch or a send to see its throughput here.</div>;
  }
  const W = 720;
  const H = 260;
  const pad = { l: 52, r: 16, t: 16, b: 46 };
  const iw = W - pad.l - pad.r;
  const ih = H - pad.t - pad.b;
  const maxRate = Math.max(...pts.map((p) => p.rate));
  const step = niceStep(maxRate / 4);
  const top = Math.max(step, Math.ceil(maxRate / step) * step);
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  const t0 = pts[0].at.getTime();
  const t1 = pts[pts.length - 1].at.getTime();
  const span = Math.max(1, t1 - t0);
  const slot = iw / pts.length;
  const bw = Math.max(3, Math.min(28, slot * 0.7));
  // Bars are placed in time order at even spacing; the axis shows the real first and last times.
  const x = (i: number) => pad.l + slot * i + (slot - bw) / 2;
  const y = (v: number) => pad.t + ih - (v / top) * ih;
  const fmtTime = (d: Date) => (span > 86400_000 ? d.toLocaleDateString('en-US', { month: 'short', day: 'numeric' })
    : d.toLocaleTimeString('en-US', span < 3600_000 ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' }));
  const total = pts.reduce((n, p) => n + p.records, 0);
  const busiest = pts.reduce((a, b) => (b.rate > a.rate ? b : a));

  return (
    <figure className="chart">
      <div className="chart-head">
        <div className="chart-kpis">
          <span><strong>{num(pts.length)}</strong> jobs</span>
          <span><strong>{num(total)}</strong> records moved</span>
          <span><strong>{num(Math.round(busiest.rate))}</strong> records/s at best</span>
        </div>
        <ul className="legend">
          {['fetch', 'send', 'sync'].filter((t) => pts.some((p) => p.job.type === t)).map((t) => (
            <li key={t}><span className="swatch" style={{ background: TYPE_COLOR[t] }} />{t}</li>
          ))}
        </ul>
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} className="chart-svg" role="img" aria-label={`Throughput of the last ${pts.length} jobs, best ${Math.round(busiest.rate)} records per second`}>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={pad.l} x2={W - pad.r} y1={y(t)} y2={y(t)} className="grid" />
            <text x={pad.l - 8} y={y(t)} className="axis" textAnchor="end" dominantBaseline="middle">{num(t)}</text>
          </g>
        ))}
        <text x={14} y={pad.t + ih / 2} className="axis-title" transform={`rotate(-90 14 ${pad.t + ih / 2})`} textAnchor="middle">records / s</text>
        {pts.map((p, i) => (
          <rect key={p.job.id} x={x(i)} y={y(p.rate)} width={bw} height={Math.max(1, pad.t + ih - y(p.rate))} rx={2} fill={TYPE_COLOR[p.job.type] ?? 'var(--c-fetch)'}>
            <title>{`${p.job.type} · ${dateTime(p.job.finishedAt)} · ${num(p.records)} records in ${duration(p.seconds * 1000)} · ${num(Math.round(p.rate))}/s`}</title>
          </rect>
        ))}
        <line x1={pad.l} x2={W - pad.r} y1={pad.t + ih} y2={pad.t + ih} className="baseline" />
        {pts.length <= 12 ? pts.map((p, i) => (
          <text key={p.job.id} x={x(i) + bw / 2} y={H - 22} className="axis" textAnchor="middle">{fmtTime(p.at)}</text>
        )) : (
          <>
            <text x={pad.l} y={H - 22} className="axis">{fmtTime(pts[0].at)}</text>
            <text x={W - pad.r} y={H - 22} className="axis" textAnchor="end">{fmtTime(pts[pts.length - 1].at)}</text>
          </>
        )}
        {pts.length <= 12 && pts.map((p, i) => (
          <text key={`t-${p.job.id}`} x={x(i) + bw / 2} y={H - 8} className="axis type" textAnchor="middle">{p.job.type}</text>
        ))}
      </svg>
      <figcaption className="muted small">Each bar is one finished job (oldest on the left): records scanned or written per second.</figcaption>
    </figure>
  );
}

function niceStep(raw: number): number {
  if (raw <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}
