import { setMaxListeners } from 'node:events';
import PgBoss from 'pg-boss';
import { pgErrorCode, UNIQUE_VIOLATION } from '../db/index.js';
import { sql } from 'drizzle-orm';
import type { Hub } from '../hub.js';
import { ApiError } from '../http/errors.js';
import { ConnectorError } from '../connectors/types.js';
import { cleanDeep, shortText } from '../model/text.js';
import { JOB_ERROR_MAX, jobErrorText } from '../engine/job-errors.js';
import { getConnection, listConnections, isPaused } from '../engine/connections.js';
import { fetchProducts } from '../engine/fetch.js';
import { sendProducts } from '../engine/send.js';
import { fetchOrders } from '../engine/orders/fetch-orders.js';
import { sendOrders } from '../engine/orders/forward.js';
import { waitForReplan } from '../engine/replan.js';
import { claimWebhookEvents, finishWebhookJob } from '../engine/webhooks.js';
import { JobStopped, type JobContext, type JobScope, type Phase } from './context.js';
import { LEASE_SECONDS, leaseOwner, release, renew, RENEW_MS, tryAcquire, type Lane } from './locks.js';

export type JobType = 'fetch' | 'send' | 'sync';
export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
/** Who asked for a job: a person (button, API, CLI), the schedule, a webhook, or a webhook's onward send. */
export type JobOrigin = 'manual' | 'schedule' | 'webhook' | 'follow-up';

export interface EnqueueOptions {
  /** What part of the connection; absent: everything. */
  scope?: JobScope | null;
  origin?: JobOrigin;
}

/** A job whose process died is queued again this many times, then failed: a job that kills its worker must not kill them all. */
const MAX_ATTEMPTS = 3;
/** A queued job without a pg-boss message this long (its process died between the two writes) is sent again. */
const ORPHAN_AFTER_SECONDS = 30;
/** On shutdown, running jobs get this long to reach their next page before their requests are cut. */
const SHUTDOWN_GRACE_MS = Number(process.env.CHANNELSYNC_SHUTDOWN_GRACE_MS ?? 10_000);

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
  scope: JobScope | null;
  origin: JobOrigin;
  attempts: number;
}

interface JobRow {
  id: string; type: JobType; connection_id: string | null; state: JobState; phase: string | null; done: number;
  total: number | null; summary: unknown; error: string | null; created_at: Date; started_at: Date | null; finished_at: Date | null;
  scope: JobScope | null; origin: JobOrigin; attempts: number;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
export function jobView(r: JobRow): JobView {
  return {
    id: r.id, type: r.type, connectionId: r.connection_id, state: r.state, phase: r.phase, done: r.done, total: r.total,
    summary: r.summary, error: r.error, createdAt: iso(r.created_at)!, startedAt: iso(r.started_at), finishedAt: iso(r.finished_at),
    scope: r.scope ?? null, origin: r.origin ?? 'manual', attempts: r.attempts ?? 0,
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
/** How often a running job asks the database whether its connection was paused by another process. */
const PAUSE_POLL_MS = 200;

/**
 * The job queue: jobs are rows in `jobs` (progress, summary) carried by pg-boss
 * (delivery, across processes). Workers run them under per-connection lanes.
 */
export class JobQueue {
  private boss: PgBoss | null = null;
  private workerIds: string[] = [];
  private stopping = false;
  private readonly running = new Map<string, AbortController>();
  private reaper: NodeJS.Timeout | null = null;

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
    // Recovery never stops a start: what fails here is logged and the reaper tries again.
    if (this.hub.db.kind === 'pglite') {
      // One process owns an embedded database (the data folder's lock): whatever was running when it stopped is over.
      try {
        await this.hub.db.rows(sql`update jobs set state = 'failed', finished_at = now(), lease_owner = null,
          error = 'The hub stopped while this job was running; start it again' where state = 'running'`);
        await this.hub.db.rows(sql`delete from connection_locks`);
      } catch (err) {
        this.hub.log.error({ err }, 'could not close the jobs of the previous run; the reaper takes them back when their leases expire');
      }
    }
    // Jobs of processes that died are queued again (PostgreSQL: for whichever worker is free).
    await this.reap().catch((err) => this.hub.log.error({ err }, 'job recovery failed at start; the reaper tries again'));
    for (let i = 0; i < opts.workers; i++) {
      this.workerIds.push(await boss.work<{ jobId: string }>(QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5 },
        // A job's failure is recorded by run(); what escapes it is logged here, never handed to pg-boss (which stores it unguarded).
        async ([job]) => { await this.run(job.data.jobId).catch((err) => this.hub.log.error({ err, jobId: job.data.jobId }, 'could not record the end of a job')); }));
    }
    this.hub.wake = () => { for (const id of this.workerIds) boss.notifyWorker(id); };
    if (opts.workers > 0) {
      this.reaper = setInterval(() => {
        this.reap().catch((err) => this.hub.log.warn({ err }, 'job reaper failed'));
      }, RENEW_MS);
      this.reaper.unref();
    }
  }

  /**
   * Queues a job. One queued job per connection, type and scope (whichever process
   * asks): asking again returns the one already queued.
   */
  async enqueue(type: JobType, connectionId: string, opts: EnqueueOptions = {}): Promise<JobView> {
    const conn = await getConnection(this.hub, connectionId);
    if (conn.paused) throw new ApiError('CS_PAUSED', `Connection ${conn.name} is paused: resume it before starting a ${type}`);
    if (!this.boss) throw new Error('The job queue is not started');
    const scope = opts.scope ? JSON.stringify(normalizeScope(opts.scope)) : null;
    for (let attempt = 0; ; attempt++) {
      const [row] = await this.hub.db.rows<JobRow>(sql`insert into jobs (type, connection_id, state, scope, origin)
        values (${type}, ${connectionId}, 'queued', ${scope}::jsonb, ${opts.origin ?? 'manual'})
        on conflict do nothing returning *`);
      if (row) {
        await this.send(row.id);
        const view = jobView(row);
        this.hub.events.emit('job', view);
        return view;
      }
      const [existing] = await this.hub.db.rows<JobRow>(sql`select * from jobs
        where connection_id = ${connectionId} and type = ${type} and state = 'queued'
          and coalesce(scope::text, '') = coalesce(${scope}::jsonb::text, '')`);
      // It may have started between the two statements: then queue a new one.
      if (existing) return jobView(existing);
      if (attempt >= 5) throw new Error(`Could not queue the ${type} of ${conn.name}`);
    }
  }

  private async send(jobId: string): Promise<void> {
    await this.boss!.send(QUEUE, { jobId }, { expireInHours: 23, retryLimit: 0 });
    this.hub.wake?.();
  }

  /**
   * Takes back the jobs of processes that died: a running job whose lease expired (its
   * process stopped renewing it) is queued again for any worker, up to MAX_ATTEMPTS; a
   * queued job that lost its pg-boss message gets a new one. Only the lease decides: a
   * lease whose owner looks like a process of this machine that is gone is still waited
   * out, since that name may be a live process in another container or on a cloned machine.
   */
  async reap(): Promise<{ requeued: string[]; failed: string[] }> {
    const { db } = this.hub;
    const out = { requeued: [] as string[], failed: [] as string[] };
    if (!this.boss || this.stopping) return out;
    const expired = await db.rows<{ id: string; attempts: number; connection_id: string | null }>(sql`select id, attempts, connection_id from jobs
      where state = 'running' and (lease_expires_at < now() or lease_expires_at is null)`);
    for (const job of expired) {
      // Running here: alive, whatever its lease says (a long step held the renewal back); the job stops itself if another process takes it.
      if (this.running.has(job.id)) continue;
      try {
        await this.takeBack(job, out);
      } catch (err) {
        // One job that cannot be taken back does not hold back the others; the next pass tries it again.
        this.hub.log.error({ err, jobId: job.id }, 'could not take back the job of a stopped process');
      }
    }
    if (out.requeued.length + out.failed.length > 0) this.hub.log.warn(out, 'jobs of stopped processes taken back');
    // Orphans: no message waiting, and none taken lately (a message taken by a process killed before it
    // marked the job running stays active in pg-boss for hours, while the job waits as queued).
    const orphans = await db.rows<{ id: string }>(sql`select j.id from jobs j
      where j.state = 'queued' and j.queued_at < now() - make_interval(secs => ${ORPHAN_AFTER_SECONDS})
        and not exists (select 1 from pgboss.job b where b.name = ${QUEUE} and b.data->>'jobId' = j.id::text
          and (b.state in ('created', 'retry')
            or (b.state = 'active' and b.started_on > now() - make_interval(secs => ${ORPHAN_AFTER_SECONDS}))))`);
    for (const o of orphans) await this.send(o.id);
    return out;
  }

  /**
   * One running job whose lease expired: queued again; failed after too many attempts
   * (or when nothing would run it again); cancelled when the same job is queued already.
   */
  private async takeBack(job: { id: string; attempts: number; connection_id: string | null }, out: { requeued: string[]; failed: string[] }): Promise<void> {
    const { db } = this.hub;
    const expired = sql`id = ${job.id} and state = 'running' and (lease_expires_at < now() or lease_expires_at is null)`;
    if (job.connection_id === null) {
      // The integrity fix runs in the process that started it, not on a worker: nothing would run it if it were queued.
      const rows = await db.rows(sql`update jobs set state = 'failed', finished_at = now(), lease_owner = null,
          error = 'The process running this integrity fix stopped; start it again (what it already repaired stays repaired)'
        where ${expired} returning id`);
      if (rows.length > 0) out.failed.push(job.id);
    } else if (job.attempts >= MAX_ATTEMPTS) {
      const rows = await db.rows(sql`update jobs set state = 'failed', finished_at = now(), lease_owner = null,
          error = ${`The process running this job stopped ${job.attempts} times; start it again once the cause is fixed`}
        where ${expired} returning id`);
      if (rows.length > 0) out.failed.push(job.id);
    } else {
      let requeued = false;
      try {
        const rows = await db.rows(sql`update jobs set state = 'queued', phase = null, lease_owner = null, lease_expires_at = null,
            queued_at = now(), error = 'Its process stopped: queued again'
          where ${expired} returning id`);
        if (rows.length === 0) return;
        requeued = true;
      } catch (err) {
        if (pgErrorCode(err) !== UNIQUE_VIOLATION) throw err;
        // The same job is queued already (the connection's next send, say): it does the work, this one ends here.
        const rows = await db.rows(sql`update jobs set state = 'cancelled', finished_at = now(), lease_owner = null,
            error = 'Its process stopped; the same job, already queued, does the work'
          where ${expired} returning id`);
        if (rows.length === 0) return;
      }
      await db.rows(sql`delete from connection_locks where job_id = ${job.id}`);
      if (requeued) {
        // Should this fail, the job is queued without a message: the orphan pass below sends it again.
        await this.send(job.id);
        out.requeued.push(job.id);
      }
    }
    const [row] = await db.rows<JobRow>(sql`select * from jobs where id = ${job.id}`);
    if (row) this.hub.events.emit('job', jobView(row));
  }

  /**
   * Graceful stop: takes no new jobs; running ones stop at their next page (nothing
   * half-written) and are queued again for the next worker; requests still in flight
   * after the grace period are cut.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.reaper) clearInterval(this.reaper);
    await this.boss?.offWork(QUEUE).catch(() => undefined);
    const grace = Date.now() + SHUTDOWN_GRACE_MS;
    while (this.running.size > 0 && Date.now() < grace) await sleep(50);
    for (const ac of this.running.values()) ac.abort(new JobStopped('the hub is shutting down'));
    const deadline = Date.now() + 5000;
    while (this.running.size > 0 && Date.now() < deadline) await sleep(50);
    await this.boss?.stop({ graceful: true, wait: true, close: false, timeout: 5000 }).catch(() => undefined);
  }

  private async update(id: string, fields: { state?: JobState; phase?: string | null; done?: number; total?: number | null; summary?: unknown; error?: string | null; started?: boolean; finished?: boolean }) {
    // Only while this process holds the job: a job taken over by another process is theirs to report.
    const [row] = await this.hub.db.rows<JobRow>(sql`update jobs set
        state = coalesce(${fields.state ?? null}, state),
        phase = case when ${fields.phase !== undefined} then ${fields.phase ?? null} else phase end,
        done = coalesce(${fields.done ?? null}::int, done),
        total = case when ${fields.total !== undefined} then ${fields.total ?? null}::int else total end,
        summary = case when ${fields.summary !== undefined} then ${JSON.stringify(cleanDeep(fields.summary ?? null).value)}::jsonb else summary end,
        error = case when ${fields.error !== undefined} then ${fields.error == null ? null : shortText(fields.error, JOB_ERROR_MAX)} else error end,
        started_at = case when ${fields.started ?? false} then now() else started_at end,
        finished_at = case when ${fields.finished ?? false} then now() else finished_at end
      where id = ${id} and state = 'running' and lease_owner = ${leaseOwner(this.hub)} returning *`);
    if (row) this.hub.events.emit('job', jobView(row));
    return row;
  }

  private async run(jobId: string): Promise<void> {
    const { hub } = this;
    if (this.stopping) return;
    // Claimed atomically: a job delivered twice (a message sent again after a crash) runs once.
    const [job] = await hub.db.rows<JobRow>(sql`update jobs set state = 'running', started_at = now(), phase = 'waiting',
        error = null, attempts = attempts + 1, lease_owner = ${leaseOwner(hub)},
        lease_expires_at = now() + make_interval(secs => ${LEASE_SECONDS})
      where id = ${jobId} and state = 'queued' and connection_id is not null returning *`);
    if (!job) return;
    hub.events.emit('job', jobView(job));
    const connectionId = job.connection_id!;
    const ac = new AbortController();
    // Every concurrent write of a send listens on this signal.
    setMaxListeners(0, ac.signal);
    this.running.set(jobId, ac);
    let leaseLost = false;
    // Until when this process may go on without a renewal: two renewals missed in a row (the
    // database out of reach, the process frozen) and the job stops itself at its next page,
    // a third of a lease before another process may take it over.
    const lease = { until: Date.now() + (LEASE_SECONDS * 2000) / 3 };
    let renewing = false;
    const heartbeat = setInterval(() => {
      if (renewing) return;
      renewing = true;
      const asked = Date.now();
      renew(hub, jobId).then((held) => {
        if (held) {
          lease.until = Math.max(lease.until, asked + (LEASE_SECONDS * 2000) / 3);
          return;
        }
        if (leaseLost) return;
        leaseLost = true;
        ac.abort(new JobStopped('another process took this job over'));
      }).catch((err) => hub.log.warn({ err, jobId }, 'could not renew the lease of a job'))
        .finally(() => { renewing = false; });
    }, RENEW_MS);
    const leaseHeld = () => {
      if (leaseLost) return false;
      // The embedded database has this process only: nobody else can take the job.
      if (Date.now() <= lease.until || hub.db.kind === 'pglite') return true;
      leaseLost = true;
      hub.log.warn({ jobId }, 'the lease of a job could not be renewed in time; stopping it here for the process that takes it over');
      ac.abort(new JobStopped('its lease could not be renewed in time'));
      return false;
    };
    try {
      while (!(await tryAcquire(hub, connectionId, LANES[job.type], jobId))) {
        if (this.stopping) throw new JobStopped('the hub is shutting down');
        if (!leaseHeld()) throw new JobStopped('another process took this job over');
        if (await isPaused(hub, connectionId)) throw new JobStopped('the connection was paused');
        await sleep(250);
      }
      if (await isPaused(hub, connectionId)) throw new JobStopped('the connection was paused');
      const summary = await this.execute(job, ac, leaseHeld);
      if (leaseLost) throw new JobStopped('another process took this job over');
      await this.update(jobId, { state: 'completed', finished: true, phase: 'done', summary });
      if (job.scope?.webhooks) await finishWebhookJob(hub, this, jobId, connectionId);
    } catch (err) {
      const partial = (err as { summary?: unknown }).summary;
      if (leaseLost) {
        hub.log.warn({ jobId }, 'job taken over by another process; stopped here');
      } else if (this.stopping && !(await isPaused(hub, connectionId).catch(() => false))) {
        await this.requeueOnShutdown(jobId);
      } else if (err instanceof JobStopped) {
        await this.update(jobId, { state: 'cancelled', finished: true, error: `Stopped: ${err.reason}`, ...(partial ? { summary: partial } : {}) });
      } else {
        const message = jobErrorText(err);
        hub.log.error({ err, jobId }, 'job failed');
        await this.update(jobId, { state: 'failed', finished: true, error: message, ...(partial ? { summary: partial } : {}) })
          // Should even that be refused, the job still ends, with a sentence of the hub's own.
          .catch(() => this.update(jobId, { state: 'failed', finished: true, error: 'The job failed and its error could not be stored; see the hub log' }));
      }
    } finally {
      clearInterval(heartbeat);
      this.running.delete(jobId);
      await release(hub, jobId).catch(() => undefined);
    }
  }

  /** A job stopped by a shutdown: queued again (a restart is not one of its attempts). */
  private async requeueOnShutdown(jobId: string): Promise<void> {
    const { db } = this.hub;
    try {
      const [row] = await db.rows<JobRow>(sql`update jobs set state = 'queued', phase = null, lease_owner = null, lease_expires_at = null,
          queued_at = now(), attempts = greatest(attempts - 1, 0), error = 'Stopped by a shutdown at a safe point: queued again'
        where id = ${jobId} and state = 'running' and lease_owner = ${leaseOwner(this.hub)} returning *`);
      if (!row) return;
      await release(this.hub, jobId);
      await this.send(jobId);
      this.hub.events.emit('job', jobView(row));
    } catch (err) {
      if (pgErrorCode(err) !== UNIQUE_VIOLATION) throw err;
      // The same job is queued already: it does the work.
      await this.update(jobId, { state: 'cancelled', finished: true, error: 'Stopped by a shutdown; the same job, already queued, does the work' });
    }
  }

  private async execute(job: JobRow, ac: AbortController, leaseHeld: () => boolean) {
    const { hub } = this;
    const { type, id: jobId } = job;
    const connectionId = job.connection_id!;
    // Products and orders report into lanes of their own; the job shows their sum.
    const lanes: Record<string, { phase: Phase; done: number; total: number | null }> = {};
    let lastWrite = 0;
    let lastEmit = 0;
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
      } else if (now - lastEmit >= 100) {
        // Live progress for the panel: ten a second is plenty, and each is a write to every listener.
        lastEmit = now;
        hub.events.emit('job-progress', { id: jobId, ...view });
      }
    };
    const summary: Record<string, unknown> = {};
    let scope = job.scope ?? undefined;
    if (scope?.webhooks) {
      // A webhook job: the events received for this connection say what to read.
      const claimed = await claimWebhookEvents(hub, jobId, connectionId);
      summary.webhooks = { events: claimed.events };
      if (claimed.events === 0) return summary;
      scope = claimed.scope;
    }
    // A pause in this process is known at once; the database is asked now and then for the others.
    let pausedHere = false;
    let pauseCheckedAt = 0;
    const onConnection = (e: { id: string; paused?: boolean }) => { if (e.id === connectionId && e.paused) pausedHere = true; };
    hub.events.on('connection', onConnection);
    const wants = (entity: 'products' | 'orders') => !scope?.entities || scope.entities.includes(entity);
    const ctx: JobContext = {
      hub, jobId, signal: ac.signal, scope,
      progress: (lane, phase, done, total) => report(lane, phase, done, total),
      checkpoint: async () => {
        if (!leaseHeld()) throw new JobStopped('its lease is no longer this process\'s');
        if (this.stopping || ac.signal.aborted) throw new JobStopped('the hub is shutting down');
        if (pausedHere) throw new JobStopped('the connection was paused');
        // A pause from another process is seen in the database, looked at most every PAUSE_POLL_MS.
        if (Date.now() - pauseCheckedAt < PAUSE_POLL_MS) return;
        if (await isPaused(hub, connectionId)) throw new JobStopped('the connection was paused');
        pauseCheckedAt = Date.now();
      },
    };
    try {
      // Settings just changed: send what the new settings plan, not the old plan.
      if (type !== 'fetch') await waitForReplan(hub);
      const all = await listConnections(hub);
      const conn = all.find((c) => c.id === connectionId);
      if (!conn) throw new ConnectorError('not_found', 'The connection was deleted');
      const parts: Promise<void>[] = [];
      const ordersCtx: JobContext = { ...ctx, progress: (lane, phase, done, total) => report(`${lane}:orders`, phase, done, total) };
      const chain = (steps: (false | (() => Promise<void>))[]) =>
        steps.reduce<Promise<void>>((p, step) => (step ? p.then(step) : p), Promise.resolve());
      // Products first, then orders: an order's lines are matched against the products just read.
      if (type === 'fetch' || type === 'sync') {
        parts.push(chain([
          wants('products') && (() => fetchProducts(ctx, conn, all).then((s) => { summary.fetch = s; })),
          wants('orders') && (() => fetchOrders(ordersCtx, conn, all).then((s) => { summary.fetchOrders = s; })),
        ]));
      }
      if (type === 'send' || type === 'sync') {
        parts.push(chain([
          wants('products') && (() => sendProducts(ctx, conn, all).then((s) => { summary.send = s; })),
          wants('orders') && (() => sendOrders(ordersCtx, conn, all).then((s) => { summary.sendOrders = s; })),
        ]));
      }
      const results = await Promise.allSettled(parts);
      // After a bulk write the job tidies up what it wrote, so the next scan is not the one paying.
      await hub.db.housekeeping.settle();
      await writing;
      if (latest) await this.update(jobId, latest);
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw Object.assign(failure.reason as Error, { summary });
      return summary;
    } finally {
      hub.events.off('connection', onConnection);
    }
  }
}

/** One spelling per scope, so the same scope asked twice is the same queued job. */
function normalizeScope(scope: JobScope): JobScope {
  const out: JobScope = {};
  if (scope.entities) out.entities = [...new Set(scope.entities)].sort();
  if (scope.full) out.full = true;
  if (scope.webhooks) out.webhooks = true;
  if (scope.ids) {
    const ids: NonNullable<JobScope['ids']> = {};
    if (scope.ids.products) ids.products = [...new Set(scope.ids.products)].sort();
    if (scope.ids.orders) ids.orders = [...new Set(scope.ids.orders)].sort();
    out.ids = ids;
  }
  return out;
}
