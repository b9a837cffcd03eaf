import { sql } from 'drizzle-orm';
import type { Hub } from '../hub.js';
import { ApiError } from '../http/errors.js';
import {
  confinedToQuietHours, inQuietHours, nextQuietStart, nextRunTime, Schedule, SCHEDULE_ENTRIES, scheduleSpec,
  type ScheduleEntryName,
} from '../model/schedule.js';
import type { LoadedConnection } from '../engine/connections.js';
import { pruneWebhookEvents } from '../engine/webhooks.js';
import type { JobScope } from './context.js';
import type { JobQueue, JobType } from './queue.js';

/** The job each schedule entry starts. */
export const ENTRY_JOBS: Record<ScheduleEntryName, { type: JobType; scope: JobScope; heavy: boolean }> = {
  orders: { type: 'sync', scope: { entities: ['orders'] }, heavy: false },
  stock: { type: 'sync', scope: { entities: ['products'] }, heavy: false },
  catalog: { type: 'sync', scope: { entities: ['products'], full: true }, heavy: true },
};

export interface SchedulerOptions {
  /** How often to look for due jobs (default 5 s); 0: never by itself, only `tick()`. */
  tickMs?: number;
  /** The clock (tests). */
  now?: () => Date;
}

interface StateRow {
  connection_id: string;
  entry: ScheduleEntryName;
  spec: string;
  next_run_at: Date;
  last_run_at: Date | null;
  last_job_id: string | null;
}

export interface ScheduledStart {
  connectionId: string;
  entry: ScheduleEntryName;
  /** The job queued, or why none was. */
  jobId: string | null;
  skipped?: 'previous run still going' | 'outside quiet hours' | 'paused';
}

const PRUNE_EVERY_MS = 3_600_000;
const key = (connectionId: string, entry: string) => `${connectionId}/${entry}`;

/**
 * Starts each connection's scheduled jobs when they are due. Every worker process
 * runs one; a due entry is claimed by one conditional update, so a job is queued
 * once however many processes tick, and a run still going is never started again.
 *
 * @example
 * const scheduler = new Scheduler(hub, queue, { tickMs: 0 });
 * await scheduler.tick(new Date('2026-05-01T01:00:00Z')); // what is due at that time starts
 */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<ScheduledStart[]> | null = null;
  private lastPrune = 0;

  constructor(private readonly hub: Hub, private readonly queue: JobQueue, private readonly opts: SchedulerOptions = {}) {}

  start(): void {
    const every = this.opts.tickMs ?? 5000;
    if (every <= 0) return;
    this.timer = setInterval(() => {
      this.tick().catch((err) => this.hub.log.warn({ err }, 'scheduler tick failed'));
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking?.catch(() => undefined);
  }

  now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /** One pass at `at` (default: now): queues what is due; returns what it started or skipped. */
  async tick(at: Date = this.now()): Promise<ScheduledStart[]> {
    while (this.ticking) await this.ticking.catch(() => undefined);
    this.ticking = this.pass(at);
    try {
      return await this.ticking;
    } finally {
      this.ticking = null;
    }
  }

  private async pass(at: Date): Promise<ScheduledStart[]> {
    const { db } = this.hub;
    const started: ScheduledStart[] = [];
    const conns = await db.rows<{ id: string; settings: Record<string, unknown> | null; paused: boolean }>(sql`
      select id, settings, paused from connections order by created_at, id`);
    const states = new Map((await db.rows<StateRow>(sql`select * from schedule_runs`)).map((s) => [key(s.connection_id, s.entry), s]));
    for (const conn of conns) {
      const parsed = Schedule.safeParse(conn.settings?.schedule ?? {});
      if (!parsed.success || !parsed.data.enabled) continue;
      const schedule = parsed.data;
      for (const name of SCHEDULE_ENTRIES) {
        if (!schedule[name].enabled) continue;
        const state = await this.current(conn.id, name, schedule, states.get(key(conn.id, name)), at);
        if (new Date(state.next_run_at) > at) continue;
        if (conn.paused) continue; // due, and starts once the connection is resumed
        const result = await this.fire(conn.id, name, schedule, state, at);
        if (result) started.push(result);
      }
    }
    if (at.getTime() - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = at.getTime();
      await pruneWebhookEvents(this.hub);
    }
    return started;
  }

  /** The entry's state, (re)computed when it is new or its schedule changed since. */
  private async current(connectionId: string, name: ScheduleEntryName, schedule: Schedule, state: StateRow | undefined, at: Date): Promise<StateRow> {
    const spec = scheduleSpec(schedule, name);
    if (state && state.spec === spec) return state;
    const next = nextRunTime(schedule, name, state?.last_run_at ? new Date(state.last_run_at) : at);
    const [row] = await this.hub.db.rows<StateRow>(sql`
      insert into schedule_runs (connection_id, entry, spec, next_run_at) values (${connectionId}, ${name}, ${spec}, ${next.toISOString()})
      on conflict (connection_id, entry) do update set spec = excluded.spec, next_run_at = excluded.next_run_at
        where schedule_runs.spec <> excluded.spec
      returning *`);
    if (row) return row;
    // Another process computed it first.
    const [other] = await this.hub.db.rows<StateRow>(sql`select * from schedule_runs where connection_id = ${connectionId} and entry = ${name}`);
    return other;
  }

  private async fire(connectionId: string, name: ScheduleEntryName, schedule: Schedule, state: StateRow, at: Date): Promise<ScheduledStart | null> {
    const { db } = this.hub;
    const job = ENTRY_JOBS[name];
    if (confinedToQuietHours(schedule, name) && !inQuietHours(at, schedule.quietHours!, schedule.timezone)) {
      // Due outside the quiet hours (the hub was down, or the window changed): wait for the window.
      const next = nextQuietStart(at, schedule.quietHours!, schedule.timezone);
      await db.rows(sql`update schedule_runs set next_run_at = ${next.toISOString()}
        where connection_id = ${connectionId} and entry = ${name} and next_run_at <= ${at.toISOString()}`);
      return { connectionId, entry: name, jobId: null, skipped: 'outside quiet hours' };
    }
    const next = nextRunTime(schedule, name, at);
    const claimed = await db.rows(sql`update schedule_runs set next_run_at = ${next.toISOString()}
      where connection_id = ${connectionId} and entry = ${name} and next_run_at <= ${at.toISOString()} returning entry`);
    if (claimed.length === 0) return null; // another process fired it
    const scope = JSON.stringify(job.scope);
    // The previous run of this entry still queued or running (a long catalog rescan): do not pile up.
    const [busy] = await db.rows(sql`select id from jobs
      where connection_id = ${connectionId} and state in ('queued', 'running') and scope = ${scope}::jsonb
      limit 1`);
    if (busy) return { connectionId, entry: name, jobId: null, skipped: 'previous run still going' };
    try {
      const view = await this.queue.enqueue(job.type, connectionId, { scope: job.scope, origin: 'schedule' });
      await db.rows(sql`update schedule_runs set last_run_at = ${at.toISOString()}, last_job_id = ${view.id}
        where connection_id = ${connectionId} and entry = ${name}`);
      return { connectionId, entry: name, jobId: view.id };
    } catch (err) {
      if (err instanceof ApiError && err.code === 'CS_PAUSED') return { connectionId, entry: name, jobId: null, skipped: 'paused' };
      throw err;
    }
  }
}

export interface ScheduleEntryView {
  name: ScheduleEntryName;
  /** The job it starts: a sync of these entities; `full` = a full rescan of the catalog. */
  job: { type: JobType; entities: ('products' | 'orders')[]; full: boolean };
  heavy: boolean;
  enabled: boolean;
  every: string | null;
  cron: string | null;
  quietHoursOnly: boolean;
  /** When it runs next (null: off); a time in the past means at the next tick. */
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastJobId: string | null;
}

/**
 * A connection's schedule with its next run times, for GET /api/connections/:id.
 *
 * @example (await scheduleView(hub, conn)).entries.find((e) => e.name === 'orders')?.nextRunAt
 */
export async function scheduleView(hub: Hub, conn: LoadedConnection, at: Date = new Date()) {
  const schedule = conn.settings.schedule;
  const rows = await hub.db.rows<StateRow>(sql`select * from schedule_runs where connection_id = ${conn.id}`);
  const states = new Map(rows.map((r) => [r.entry, r]));
  const entries: ScheduleEntryView[] = SCHEDULE_ENTRIES.map((name) => {
    const e = schedule[name];
    const state = states.get(name);
    let next: Date | null = null;
    if (schedule.enabled && e.enabled) {
      next = state && state.spec === scheduleSpec(schedule, name)
        ? new Date(state.next_run_at)
        : nextRunTime(schedule, name, state?.last_run_at ? new Date(state.last_run_at) : at);
      if (next <= at && confinedToQuietHours(schedule, name)) next = nextQuietStart(at, schedule.quietHours!, schedule.timezone);
    }
    const job = ENTRY_JOBS[name];
    return {
      name,
      job: { type: job.type, entities: job.scope.entities ?? ['products', 'orders'], full: job.scope.full ?? false },
      heavy: job.heavy,
      enabled: e.enabled,
      every: e.cron === null ? e.every : null,
      cron: e.cron,
      quietHoursOnly: e.quietHoursOnly,
      nextRunAt: next ? next.toISOString() : null,
      lastRunAt: state?.last_run_at ? new Date(state.last_run_at).toISOString() : null,
      lastJobId: state?.last_job_id ?? null,
    };
  });
  return { enabled: schedule.enabled, timezone: schedule.timezone, quietHours: schedule.quietHours, paused: conn.paused, entries };
}
