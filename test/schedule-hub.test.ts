import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop, until } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import type { Scheduler } from '../src/jobs/scheduler.js';

const MIN = 60_000;
const later = (t: Date, ms: number) => new Date(t.getTime() + ms);

describe.each(DATABASES)('schedules (%s)', (kind) => {
  let hub: TestHub;
  let shop: Storefront;
  let scheduler: Scheduler;
  beforeAll(async () => {
    // The test is the clock: the scheduler only ticks when told, at the time it is told.
    hub = await startTestHub(kind, { schedule: { tickMs: 0 } });
    scheduler = hub.running.scheduler!;
    shop = await startStorefront({ key: 'sched-shop-1234', products: 12, orders: 2 });
  });
  afterAll(async () => {
    await hub?.close();
    await shop?.close();
  });

  const jobsOf = async (connectionId: string) => (await hub.api('GET', `/api/connections/${connectionId}/jobs?limit=100`)).body.items as any[];
  const settle = async (connectionId: string) => {
    await until('the connection to be idle', async () => (await jobsOf(connectionId)).every((j) => !['queued', 'running'].includes(j.state)));
  };

  it('shows the default schedule with next run times, and PATCH settings edits it', async () => {
    const c = await connectShop(hub, 'Shown', shop);
    expect(c.settings.schedule).toMatchObject({ enabled: true, orders: { every: '5m' }, stock: { every: '5m' }, catalog: { every: '8h' } });
    const before = Date.now();
    const view = (await hub.api('GET', `/api/connections/${c.id}`)).body.schedule;
    expect(view.entries.map((e: any) => [e.name, e.every, e.job.type, e.job.entities, e.job.full, e.heavy])).toEqual([
      ['orders', '5m', 'sync', ['orders'], false, false],
      ['stock', '5m', 'sync', ['products'], false, false],
      ['catalog', '8h', 'sync', ['products'], true, true],
    ]);
    const next = Object.fromEntries(view.entries.map((e: any) => [e.name, Date.parse(e.nextRunAt) - before]));
    expect(next.orders).toBeGreaterThanOrEqual(5 * MIN - 1000);
    expect(next.orders).toBeLessThanOrEqual(5 * MIN + 60_000);
    expect(next.catalog).toBeGreaterThanOrEqual(8 * 60 * MIN - 1000);

    const patched = await hub.api('PATCH', `/api/connections/${c.id}`, {
      settings: { schedule: { orders: { every: '2m' }, stock: { cron: '*/10 * * * *' }, quietHours: { from: '01:00', to: '05:00' } } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.settings.schedule.orders.every).toBe('2m');
    // Other settings are untouched by a schedule patch.
    expect(patched.body.settings.absorb).toEqual({ products: false, orders: false });
    const entries = Object.fromEntries(patched.body.schedule.entries.map((e: any) => [e.name, e]));
    expect(Date.parse(entries.orders.nextRunAt) - Date.now()).toBeLessThanOrEqual(2 * MIN);
    expect(entries.stock).toMatchObject({ every: null, cron: '*/10 * * * *' });
    expect(new Date(entries.stock.nextRunAt).getUTCMinutes() % 10).toBe(0);
    expect(new Date(entries.catalog.nextRunAt).getUTCHours()).toBeGreaterThanOrEqual(1);
    expect(new Date(entries.catalog.nextRunAt).getUTCHours()).toBeLessThan(5);

    const bad = await hub.api('PATCH', `/api/connections/${c.id}`, { settings: { schedule: { orders: { every: 'often' } } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ field: 'settings.schedule.orders.every', message: expect.stringMatching(/"often" is not an interval/) });
    const badCron = await hub.api('PATCH', `/api/connections/${c.id}`, { settings: { schedule: { catalog: { cron: '0 0 * *' } } } });
    expect(badCron.body.error.field).toBe('settings.schedule.catalog.cron');

    const off = await hub.api('PATCH', `/api/connections/${c.id}`, { settings: { schedule: { enabled: false } } });
    expect(off.body.schedule.entries.every((e: any) => e.nextRunAt === null)).toBe(true);
  });

  it('fires each entry when due, once however many schedulers tick, and manual triggers still work', async () => {
    const c = await connectShop(hub, 'Ticked', shop);
    const t0 = new Date();
    expect(await scheduler.tick(t0)).toEqual([]);
    expect(await scheduler.tick(later(t0, 4 * MIN))).toEqual([]);

    // Two processes tick at the same due time: one job per entry.
    const other = new (scheduler.constructor as typeof Scheduler)(hub.running.hub, hub.running.queue, { tickMs: 0 });
    const [a, b] = await Promise.all([scheduler.tick(later(t0, 5 * MIN)), other.tick(later(t0, 5 * MIN))]);
    const fired = [...a, ...b].filter((s) => s.connectionId === c.id);
    expect(fired.map((s) => s.entry).sort()).toEqual(['orders', 'stock']);
    expect(fired.every((s) => s.jobId)).toBe(true);
    await settle(c.id);
    const jobs = await jobsOf(c.id);
    expect(jobs).toHaveLength(2);
    for (const j of jobs) expect(j).toMatchObject({ type: 'sync', origin: 'schedule', state: 'completed' });
    const orders = jobs.find((j) => j.scope.entities[0] === 'orders');
    const stock = jobs.find((j) => j.scope.entities[0] === 'products');
    expect(orders.summary.fetchOrders.scanned).toBe(2);
    expect(orders.summary.fetch).toBeUndefined();
    expect(stock.summary.fetch.created).toBe(12);
    expect(stock.summary.fetchOrders).toBeUndefined();

    // Not again until the next interval.
    expect(await scheduler.tick(later(t0, 9 * MIN))).toEqual([]);
    const view = (await hub.api('GET', `/api/connections/${c.id}`)).body.schedule;
    const entry = view.entries.find((e: any) => e.name === 'orders');
    expect(entry.nextRunAt).toBe(later(t0, 10 * MIN).toISOString());
    expect(entry.lastRunAt).toBe(later(t0, 5 * MIN).toISOString());
    expect(entry.lastJobId).toBe(orders.id);

    // A button press is never held back by the schedule, and a schedule switched off leaves buttons working.
    await hub.api('PATCH', `/api/connections/${c.id}`, { settings: { schedule: { enabled: false } } });
    expect(await scheduler.tick(later(t0, 60 * MIN))).toEqual([]);
    const manual = await hub.run('fetch', c.id);
    expect(manual).toMatchObject({ state: 'completed', origin: 'manual', scope: null });
  });

  it('never starts a run while the previous one is still going, and waits for a paused connection', async () => {
    const slow = await startStorefront({ key: 'sched-slow-1234', products: 30, pageSize: 5 });
    try {
      const c = await connectShop(hub, 'Slow', slow, { settings: { schedule: { orders: { enabled: false }, catalog: { enabled: false } } } });
      const t0 = new Date();
      await scheduler.tick(t0);
      slow.setFaults({ delayMs: 150 });
      const [first] = await scheduler.tick(later(t0, 5 * MIN));
      expect(first).toMatchObject({ entry: 'stock', jobId: expect.any(String) });
      await until('the scheduled sync to run', async () => (await hub.api('GET', `/api/jobs/${first.jobId}`)).body.state === 'running');
      const [second] = await scheduler.tick(later(t0, 10 * MIN));
      expect(second).toMatchObject({ entry: 'stock', jobId: null, skipped: 'previous run still going' });
      // A manual fetch meanwhile is accepted; lanes keep it from running alongside the scheduled one.
      const working = new Set<string>();
      let most = 0;
      const watch = (e: { id: string; state?: string; phase?: string | null }) => {
        if (e.state && e.state !== 'running') working.delete(e.id);
        else if (e.phase && e.phase !== 'waiting') working.add(e.id);
        most = Math.max(most, working.size);
      };
      hub.running.hub.events.on('job', watch);
      hub.running.hub.events.on('job-progress', watch);
      const manual = (await hub.api('POST', `/api/connections/${c.id}/fetch`)).body.jobId;
      expect(manual).not.toBe(first.jobId);
      await until('the manual fetch to wait for its lane', async () => (await hub.api('GET', `/api/jobs/${manual}`)).body.phase === 'waiting');
      slow.setFaults({});
      expect((await hub.waitJob(first.jobId!)).state).toBe('completed');
      expect((await hub.waitJob(manual)).state).toBe('completed');
      hub.running.hub.events.off('job', watch);
      hub.running.hub.events.off('job-progress', watch);
      expect(most).toBe(1);

      await hub.api('POST', `/api/connections/${c.id}/pause`);
      expect(await scheduler.tick(later(t0, 15 * MIN))).toEqual([]);
      await hub.api('POST', `/api/connections/${c.id}/resume`);
      const [resumed] = await scheduler.tick(later(t0, 16 * MIN));
      expect(resumed).toMatchObject({ entry: 'stock', jobId: expect.any(String) });
      expect((await hub.waitJob(resumed.jobId!)).state).toBe('completed');
    } finally {
      await slow.close();
    }
  });

  it('keeps the full catalog rescan to the quiet hours', async () => {
    const c = await connectShop(hub, 'Nightly', shop, {
      settings: { schedule: { orders: { enabled: false }, stock: { enabled: false }, catalog: { every: '1h' }, quietHours: { from: '01:00', to: '05:00' } } },
    });
    const noon = new Date('2030-06-01T12:00:00Z');
    await scheduler.tick(noon);
    const view = (await hub.api('GET', `/api/connections/${c.id}`)).body.schedule;
    expect(view.entries.find((e: any) => e.name === 'catalog').nextRunAt).toBe('2030-06-02T01:00:00.000Z');
    for (const t of ['2030-06-01T13:00:00Z', '2030-06-01T23:59:00Z', '2030-06-02T00:59:00Z']) {
      expect((await scheduler.tick(new Date(t))).filter((s) => s.connectionId === c.id)).toEqual([]);
    }
    const [night] = (await scheduler.tick(new Date('2030-06-02T01:00:00Z'))).filter((s) => s.connectionId === c.id);
    expect(night).toMatchObject({ entry: 'catalog', jobId: expect.any(String) });
    const job = await hub.waitJob(night.jobId!);
    expect(job).toMatchObject({ state: 'completed', scope: { entities: ['products'], full: true } });
    // A full rescan: it checks for products gone (SPEC section 5).
    expect(job.summary.fetch.deletions).toBeDefined();
    const after = (await hub.api('GET', `/api/connections/${c.id}`)).body.schedule.entries.find((e: any) => e.name === 'catalog');
    expect(after.nextRunAt).toBe('2030-06-02T02:00:00.000Z');

    // Quiet hours moved while a run was due: it waits for the new window rather than run at noon.
    await hub.api('PATCH', `/api/connections/${c.id}`, { settings: { schedule: { quietHours: { from: '03:00', to: '04:00' } } } });
    const rows = await hub.running.hub.db.rows<{ next_run_at: Date }>(sql`select next_run_at from schedule_runs where connection_id = ${c.id} and entry = 'catalog'`);
    expect(rows).toHaveLength(1);
    const moved = (await scheduler.tick(new Date('2030-06-02T12:00:00Z'))).filter((s) => s.connectionId === c.id);
    expect(moved).toEqual([{ connectionId: c.id, entry: 'catalog', jobId: null, skipped: 'outside quiet hours' }]);
    const next = (await hub.api('GET', `/api/connections/${c.id}`)).body.schedule.entries.find((e: any) => e.name === 'catalog').nextRunAt;
    expect(next).toBe('2030-06-03T03:00:00.000Z');
  });
});

describe.each(DATABASES)('a schedule on the real clock (%s)', (kind) => {
  let hub: TestHub;
  let shop: Storefront;
  beforeAll(async () => {
    hub = await startTestHub(kind, { schedule: { tickMs: 100 } });
    shop = await startStorefront({ key: 'sched-real-1234', products: 3, orders: 1 });
  });
  afterAll(async () => {
    await hub?.close();
    await shop?.close();
  });

  it('starts the orders sync by itself every second', async () => {
    const c = await connectShop(hub, 'Every second', shop, { settings: { schedule: { orders: { every: '1s' }, stock: { enabled: false }, catalog: { enabled: false } } } });
    await until('two scheduled orders syncs', async () => {
      const jobs = (await hub.api('GET', `/api/connections/${c.id}/jobs`)).body.items as any[];
      return jobs.filter((j) => j.origin === 'schedule' && j.state === 'completed').length >= 2;
    }, 20_000);
    const jobs = (await hub.api('GET', `/api/connections/${c.id}/jobs`)).body.items as any[];
    expect(jobs.every((j) => j.origin === 'schedule' && j.type === 'sync' && j.scope.entities[0] === 'orders')).toBe(true);
    expect((await hub.api('GET', '/api/orders')).body.total).toBe(1);
  });
});
