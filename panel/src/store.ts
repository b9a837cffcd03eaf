import { useSyncExternalStore } from 'react';
import { api, eventsUrl, isTerminal, type Connection, type Issue, type Job } from './api';

export interface HubState {
  connections: Connection[];
  loaded: boolean;
  /** Jobs seen since the panel opened (and the latest ones of each connection), by id. */
  jobs: Record<string, Job>;
  issues: Issue[];
  /** Whether the live event stream is connected. */
  live: boolean;
  error: string | null;
}

type JobListener = (job: Job) => void;

/**
 * The panel's view of the hub: connections, their jobs and the open issues,
 * kept current by the hub's server-sent events (no polling).
 */
class HubStore {
  private state: HubState = { connections: [], loaded: false, jobs: {}, issues: [], live: false, error: null };
  private listeners = new Set<() => void>();
  private jobEndListeners = new Set<JobListener>();
  private source: EventSource | null = null;
  private reloadTimer: ReturnType<typeof setTimeout> | null = null;
  private issuesTimer: ReturnType<typeof setTimeout> | null = null;
  private started = false;

  subscribe = (fn: () => void) => {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  };

  getSnapshot = () => this.state;

  private set(patch: Partial<HubState>) {
    this.state = { ...this.state, ...patch };
    this.listeners.forEach((fn) => fn());
  }

  /** Runs when any job of any connection ends: lists refresh themselves with it. */
  onJobEnd(fn: JobListener): () => void {
    this.jobEndListeners.add(fn);
    return () => { this.jobEndListeners.delete(fn); };
  }

  start() {
    if (this.started) return;
    this.started = true;
    void this.reloadConnections();
    void this.reloadIssues();
    this.connect();
  }

  stop() {
    this.started = false;
    if (this.retryTimer) { clearTimeout(this.retryTimer); this.retryTimer = null; }
    this.source?.close();
    this.source = null;
    this.state = { connections: [], loaded: false, jobs: {}, issues: [], live: false, error: null };
    this.listeners.forEach((fn) => fn());
  }

  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  /** Opens the event stream with a fresh ticket; when the browser gives up on it (a ticket expires), opens another. */
  private connect(reconnected = false) {
    if (this.retryTimer) { clearTimeout(this.retryTimer); this.retryTimer = null; }
    const retry = () => {
      if (!this.started || this.retryTimer) return;
      this.retryTimer = setTimeout(() => { this.retryTimer = null; this.connect(true); }, 2000);
    };
    eventsUrl().then((url) => {
      if (!this.started) return;
      this.open(url, reconnected, retry);
    }, () => { this.set({ live: false }); retry(); });
  }

  private open(url: string, reconnected: boolean, retry: () => void) {
    this.source?.close();
    const source = new EventSource(url);
    this.source = source;
    let wasOpen = reconnected;
    source.onopen = () => {
      // After a reconnect, whatever happened while the stream was down is read once.
      if (wasOpen) { void this.reloadConnections(); void this.reloadIssues(); }
      wasOpen = true;
      this.set({ live: true });
    };
    source.onerror = () => {
      this.set({ live: false });
      // The browser retries by itself with the same address; once it gives up (the ticket expired, say), start over.
      if (source.readyState === EventSource.CLOSED && this.source === source) retry();
    };
    source.addEventListener('job', (ev) => this.onJob(JSON.parse((ev as MessageEvent).data) as Job));
    source.addEventListener('progress', (ev) => {
      const p = JSON.parse((ev as MessageEvent).data) as { id: string; phase: string; done: number; total: number | null };
      const job = this.state.jobs[p.id];
      if (job && !isTerminal(job.state)) this.set({ jobs: { ...this.state.jobs, [p.id]: { ...job, phase: p.phase, done: p.done, total: p.total } } });
    });
    source.addEventListener('connection', (ev) => {
      const { id } = JSON.parse((ev as MessageEvent).data) as { id: string };
      void this.reloadConnection(id);
    });
  }

  private onJob(job: Job) {
    const previous = this.state.jobs[job.id];
    // A late 'job' row must not roll back a newer terminal state.
    if (previous && isTerminal(previous.state) && !isTerminal(job.state)) return;
    this.set({ jobs: { ...this.state.jobs, [job.id]: job } });
    if (isTerminal(job.state)) {
      this.scheduleReload();
      this.scheduleIssues();
      this.jobEndListeners.forEach((fn) => fn(job));
    } else if (!previous && job.connectionId) {
      void this.reloadConnection(job.connectionId);
    }
  }

  private scheduleReload() {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => { this.reloadTimer = null; void this.reloadConnections(); }, 120);
  }

  private scheduleIssues() {
    if (this.issuesTimer) clearTimeout(this.issuesTimer);
    this.issuesTimer = setTimeout(() => { this.issuesTimer = null; void this.reloadIssues(); }, 300);
  }

  private mergeJobs(conns: Connection[]) {
    const jobs = { ...this.state.jobs };
    for (const c of conns) {
      for (const j of c.jobs ?? []) {
        const known = jobs[j.id];
        if (!known || (!isTerminal(known.state) && (isTerminal(j.state) || j.done >= known.done))) jobs[j.id] = j;
      }
    }
    return jobs;
  }

  async reloadConnections() {
    try {
      const { items } = await api<{ items: Connection[] }>('GET', '/api/connections');
      this.set({ connections: items, loaded: true, jobs: this.mergeJobs(items), error: null });
    } catch (err) {
      this.set({ loaded: true, error: (err as Error).message });
    }
  }

  async reloadConnection(id: string) {
    try {
      const c = await api<Connection>('GET', `/api/connections/${id}`);
      const exists = this.state.connections.some((x) => x.id === id);
      const connections = exists ? this.state.connections.map((x) => (x.id === id ? c : x)) : [...this.state.connections, c];
      this.set({ connections, jobs: this.mergeJobs([c]) });
    } catch {
      await this.reloadConnections();
    }
  }

  async reloadIssues() {
    try {
      const { items } = await api<{ items: Issue[] }>('GET', '/api/issues?limit=500');
      this.set({ issues: items });
    } catch { /* the bell keeps its last counts */ }
  }

  /** Puts a job the panel just started into the state at once, before its first event arrives. */
  trackJob(job: Job) {
    if (!this.state.jobs[job.id]) this.set({ jobs: { ...this.state.jobs, [job.id]: job } });
  }

  replaceConnection(c: Connection) {
    const exists = this.state.connections.some((x) => x.id === c.id);
    const connections = exists ? this.state.connections.map((x) => (x.id === c.id ? c : x)) : [...this.state.connections, c];
    this.set({ connections, jobs: this.mergeJobs([c]) });
  }
}

export const hubStore = new HubStore();

export function useHub(): HubState {
  return useSyncExternalStore(hubStore.subscribe, hubStore.getSnapshot);
}

/** The job to show on a connection's card: the running one, else the queued one, else the last that ended. */
export function currentJob(jobs: Record<string, Job>, connectionId: string): { active: Job | null; last: Job | null } {
  let active: Job | null = null;
  let last: Job | null = null;
  for (const j of Object.values(jobs)) {
    if (j.connectionId !== connectionId) continue;
    if (!isTerminal(j.state)) {
      if (!active || (j.state === 'running' && active.state !== 'running') || (j.state === active.state && j.createdAt > active.createdAt)) active = j;
    } else if (!last || (j.finishedAt ?? j.createdAt) > (last.finishedAt ?? last.createdAt)) {
      last = j;
    }
  }
  return { active, last };
}
