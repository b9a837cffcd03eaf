import { setMaxListeners } from 'node:events';
import PgBoss from 'pg-boss';
import { uuidArray } from '../db/index.js';
import { sql } from 'drizzle-orm';
import type { Hub } from '../hub.js';
import { ApiError } from '../http/errors.js';
import { ConnectorError } from '../connectors/types.js';
import { getConnection, listConnections, isPaused } from '../engine/connections.js';
import { fetchProducts } from '../engine/fetch.js';
import { sendProducts } from '../engine/send.js';
import { fetchOrders } from '../engine/orders/fetch-orders.js';
import { sendOrders } from '../engine/orders/forward.js';
import { waitForReplan } from '../engine/replan.js';
import { JobStopped, type JobContext, type Phase } from './context.js';
import { reclaimDeadLeases, release, renew, tryAcquire, type Lane } from './locks.js';

export type JobType = 'fetch' | 'send' | 'sync';
export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

const QUEUE = 'channelsync-jobs';
const LANES: Record<JobType, Lane[]> = { fetch: ['fetch'], send: ['send'], sync: ['fetch', 'send'] };

export interface JobView {
  id: string;
  type: JobType;
  connectionId: string | null;
  state: JobState;
  phase: string | null;
  done: number;
  total: number | null;
  summary: unknown;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface JobRow {
  id: string; type: JobType; connection_id: string | null; state: JobState; phase: string | null; done: number;
  total: number | null; summary: unknown; error: string | null; created_at: Date; started_at: Date | null; finished_at: Date | null;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
export function jobView(r: JobRow): JobView {
  return {
    id: r.id, type: r.type, connectionId: r.connection_id, state: r.state, phase: r.phase, done: r.done, total: r.total,
    summary: r.summary, error: r.error, createdAt: iso(r.created_at)!, startedAt: iso(r.started_at), finishedAt: iso(r.finished_at),
  };
}

export async function getJob(hub: Hub, id: string): Promise<JobView | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const [row] = await hub.db.rows<JobRow>(sql`select * from jobs where id = ${id}`);
  return row ? jobView(row) : null;
}

export async function listJobs(hub: Hub, connectionId?: string, limit = 50): Promise<JobView[]> {
  const rows = connectionId
    ? await hub.db.rows<JobRow>(sql`select * from jobs where connection_id = ${connectionId} order by created_at desc limit ${limit}`)
    : await hub.db.rows<JobRow>(sql`select * from jobs order by created_at desc limit ${limit}`);
  return rows.map(jobView);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The job queue: jobs are rows in `jobs` (progress, summary) carried by pg-boss
 * (delivery, across processes). Workers run them under per-connection lanes.
 */
export class JobQueue {
  private boss: PgBoss | null = null;
  private workerIds: string[] = [];
  private stopping = false;
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly hub: Hub) {}

  async start(opts: { workers: number }): Promise<void> {
    const boss = new PgBoss({
      db: { executeSql: (text, values) => this.hub.db.executeSql(text, values) },
      schema: 'pgboss',
      supervise: true,
      schedule: false,
      maintenanceIntervalSeconds: 120,
    });
    boss.on('error', (err) => this.hub.log.error({ err }, 'job queue error'));
    await boss.start();
    await boss.createQueue(QUEUE);
    this.boss = boss;
    if (this.hub.db.kind === 'pglite') {
      // One process owns an embedded database: whatever was running when it stopped is over.
      await this.hub.db.rows(sql`update jobs set state = 'failed', finished_at = now(),
        error = 'The hub stopped while this job was running; start it again' where state = 'running'`);
      await this.hub.db.rows(sql`delete from connection_locks`);
    } else {
      const dead = await reclaimDeadLeases(this.hub);
      if (dead.length > 0) {
        await this.hub.db.rows(sql`update jobs set state = 'failed', finished_at = now(),
          error = 'The hub process running this job stopped; start it again'
          where state = 'running' and id = any(${uuidArray(dead)})`);
      }
    }
    for (let i = 0; i < opts.workers; i++) {
      this.workerIds.push(await boss.work<{ jobId: string }>(QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5 },
        async ([job]) => { await this.run(job.data.jobId); }));
    }
    this.hub.wake = () => { for (const id of this.workerIds) boss.notifyWorker(id); };
  }

  /** Queues a job. A fetch/send/sync already queued for the connection is returned instead of a second one. */
  async enqueue(type: JobType, connectionId: string): Promise<JobView> {
    const conn = await getConnection(this.hub, connectionId);
    if (conn.paused) throw new ApiError('CS_PAUSED', `Connection ${conn.name} is paused: resume it before starting a ${type}`);
    const [existing] = await this.hub.db.rows<JobRow>(sql`select * from jobs
      where connection_id = ${connectionId} and type = ${type} and state = 'queued' order by created_at limit 1`);
    if (existing) return jobView(existing);
    const [row] = await this.hub.db.rows<JobRow>(sql`insert into jobs (type, connection_id, state)
      values (${type}, ${connectionId}, 'queued') returning *`);
    if (!this.boss) throw new Error('The job queue is not started');
    await this.boss.send(QUEUE, { jobId: row.id }, { expireInHours: 23, retryLimit: 0 });
    this.hub.wake?.();
    const view = jobView(row);
    this.hub.events.emit('job', view);
    return view;
  }

  /** Stops taking jobs; running ones stop at their next page and are marked cancelled. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const ac of this.running.values()) ac.abort();
    const deadline = Date.now() + 15000;
    while (this.running.size > 0 && Date.now() < deadline) await sleep(50);
    await this.boss?.stop({ graceful: true, wait: true, close: false, timeout: 5000 }).catch(() => undefined);
  }

  private async update(id: string, fields: { state?: JobState; phase?: string | null; done?: number; total?: number | null; summary?: unknown; error?: string | null; started?: boolean; finished?: boolean }) {
    const [row] = await this.hub.db.rows<JobRow>(sql`update jobs set
        state = coalesce(${fields.state ?? null}, state),
        phase = case when ${fields.phase !== undefined} then ${fields.phase ?? null} else phase end,
        done = coalesce(${fields.done ?? null}::int, done),
        total = case when ${fields.total !== undefined} then ${fields.total ?? null}::int else total end,
        summary = case when ${fields.summary !== undefined} then ${JSON.stringify(fields.summary ?? null)}::jsonb else summary end,
        error = case when ${fields.error !== undefined} then ${fields.error ?? null} else error end,
        started_at = case when ${fields.started ?? false} then now() else started_at end,
        finished_at = case when ${fields.finished ?? false} then now() else finished_at end
      where id = ${id} returning *`);
    if (row) this.hub.events.emit('job', jobView(row));
    return row;
  }

  private async run(jobId: string): Promise<void> {
    const { hub } = this;
    const [job] = await hub.db.rows<JobRow>(sql`select * from jobs where id = ${jobId}`);
    if (!job || job.state !== 'queued' || !job.connection_id) return;
    const connectionId = job.connection_id;
    await this.update(jobId, { state: 'running', started: true, phase: 'waiting' });
    const ac = new AbortController();
    // Every concurrent write of a send listens on this signal.
    setMaxListeners(0, ac.signal);
    this.running.set(jobId, ac);
    let heartbeat: NodeJS.Timeout | undefined;
    try {
      while (!(await tryAcquire(hub, connectionId, LANES[job.type], jobId))) {
        if (this.stopping) throw new JobStopped('the hub is shutting down');
        if (await isPaused(hub, connectionId)) throw new JobStopped('the connection was paused');
        await sleep(250);
      }
      if (await isPaused(hub, connectionId)) throw new JobStopped('the connection was paused');
      heartbeat = setInterval(() => { renew(hub, jobId).catch(() => undefined); }, 20000);
      const summary = await this.execute(job.type, jobId, connectionId, ac);
      await this.update(jobId, { state: 'completed', finished: true, phase: 'done', summary });
    } catch (err) {
      const partial = (err as { summary?: unknown }).summary;
      if (err instanceof JobStopped) {
        await this.update(jobId, { state: 'cancelled', finished: true, error: `Stopped: ${err.reason}`, ...(partial ? { summary: partial } : {}) });
      } else {
        const message = err instanceof ConnectorError ? err.message : `Unexpected error: ${(err as Error).message}`;
        hub.log.error({ err, jobId }, 'job failed');
        await this.update(jobId, { state: 'failed', finished: true, error: message, ...(partial ? { summary: partial } : {}) });
      }
    } finally {
      clearInterval(heartbeat);
      this.running.delete(jobId);
      await release(hub, jobId).catch(() => undefined);
    }
  }

  private async execute(type: JobType, jobId: string, connectionId: string, ac: AbortController) {
    const { hub } = this;
    // Products and orders report into lanes of their own; the job shows their sum.
    const lanes: Record<string, { phase: Phase; done: number; total: number | null }> = {};
    let lastWrite = 0;
    let writing: Promise<unknown> = Promise.resolve();
    let latest: { phase: string; done: number; total: number | null } | null = null;
    const report = (key: string, phase: Phase, done: number, total: number | null) => {
      lanes[key] = { phase, done, total };
      const all = Object.values(lanes);
      const view = {
        phase: all.length > 1 ? [...new Set(all.map((l) => l.phase))].join('+') : phase,
        done: all.reduce((n, l) => n + l.done, 0),
        total: all.some((l) => l.total === null) ? null : all.reduce((n, l) => n + (l.total ?? 0), 0),
      };
      latest = view;
      const now = Date.now();
      if (now - lastWrite >= 250) {
        lastWrite = now;
        writing = writing.then(() => this.update(jobId, view)).catch(() => undefined);
      } else {
        hub.events.emit('job-progress', { id: jobId, ...view });
      }
    };
    const ctx: JobContext = {
      hub, jobId, signal: ac.signal,
      progress: (lane, phase, done, total) => report(lane, phase, done, total),
      checkpoint: async () => {
        if (this.stopping || ac.signal.aborted) throw new JobStopped('the hub is shutting down');
        if (await isPaused(hub, connectionId)) throw new JobStopped('the connection was paused');
      },
    };
    // Settings just changed: send what the new settings plan, not the old plan.
    if (type !== 'fetch') await waitForReplan(hub);
    const all = await listConnections(hub);
    const conn = all.find((c) => c.id === connectionId);
    if (!conn) throw new ConnectorError('not_found', 'The connection was deleted');
    const summary: Record<string, unknown> = {};
    const parts: Promise<void>[] = [];
    const ordersCtx: JobContext = { ...ctx, progress: (lane, phase, done, total) => report(`${lane}:orders`, phase, done, total) };
    // Products first, then orders: an order's lines are matched against the products just read.
    if (type === 'fetch' || type === 'sync') {
      parts.push(fetchProducts(ctx, conn, all).then((s) => { summary.fetch = s; })
        .then(() => fetchOrders(ordersCtx, conn, all)).then((s) => { summary.fetchOrders = s; }));
    }
    if (type === 'send' || type === 'sync') {
      parts.push(sendProducts(ctx, conn, all).then((s) => { summary.send = s; })
        .then(() => sendOrders(ordersCtx, conn, all)).then((s) => { summary.sendOrders = s; }));
    }
    const results = await Promise.allSettled(parts);
    await writing;
    if (latest) await this.update(jobId, latest);
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw Object.assign(failure.reason as Error, { summary });
    return summary;
  }
}
