import { spawnSync } from 'node:child_process';
import os from 'node:os';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { RunningHub } from '../src/app.js';
import type { TestHub } from './helpers/hub.js';
import type { Storefront } from '../src/storefront/server.js';

// A short lease, read when the job modules load: renewed every second, expired within seconds.
process.env.CHANNELSYNC_LEASE_SECONDS = '3';
const { DATABASES, freshDatabase, startTestHub } = await import('./helpers/hub.js');
const { connectShop, skuCounts, until } = await import('./helpers/shops.js');
const { startStorefront } = await import('../src/storefront/server.js');
const { startHub } = await import('../src/app.js');

/** A pid that ran on this machine and is gone now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

/**
 * Who holds a job is decided by its lease alone: an owner named like a process of this
 * machine that is gone (or like this very process) may be a live process elsewhere with
 * the same host name and pid (another container, a cloned machine).
 */
describe.each(DATABASES)('a lease whose owner looks dead here (%s)', (kind) => {
  let hub: TestHub;
  let shop: Storefront;
  let target: Storefront;
  let S: { id: string };
  let T: { id: string };
  const rows = <R>(q: ReturnType<typeof sql>) => hub.running.hub.db.rows<R>(q);

  beforeAll(async () => {
    hub = await startTestHub(kind, { schedule: false });
    shop = await startStorefront({ key: 'ident-shop-12345', products: 20 });
    target = await startStorefront({ key: 'ident-target-1234', products: [] });
    S = await connectShop(hub, 'Source', shop);
    T = await connectShop(hub, 'Target', target, { settings: { absorb: { products: true } } });
    expect((await hub.run('fetch', S.id)).state).toBe('completed');
  });
  afterAll(async () => {
    await hub?.close();
    await shop?.close();
    await target?.close();
  });

  it('is not taken over while it is unexpired, and is once it expired', async () => {
    const host = os.hostname();
    const gone = `${host}/${deadPid()}-deadbeef`;
    const samePid = `${host}/${process.pid}-0123abcd`;
    const held = async (type: string, connectionId: string, lane: string, owner: string) => {
      const [job] = await rows<{ id: string }>(sql`insert into jobs (type, connection_id, state, phase, attempts, lease_owner, lease_expires_at, started_at)
        values (${type}, ${connectionId}, 'running', ${type}, 1, ${owner}, now() + interval '30 seconds', now()) returning id`);
      await rows(sql`insert into connection_locks (connection_id, lane, job_id, owner, expires_at)
        values (${connectionId}, ${lane}, ${job.id}, ${owner}, now() + interval '30 seconds')`);
      return job.id;
    };
    const send = await held('send', T.id, 'send', gone);
    const fetch = await held('fetch', S.id, 'fetch', samePid);

    expect(await hub.running.queue.reap()).toEqual({ requeued: [], failed: [] });
    await new Promise((r) => setTimeout(r, 1500)); // the hub's own reaper passes too
    const jobs = await rows<{ id: string; state: string; lease_owner: string }>(sql`select id, state, lease_owner from jobs where id in (${send}, ${fetch}) order by type`);
    expect(jobs).toEqual([
      { id: fetch, state: 'running', lease_owner: samePid },
      { id: send, state: 'running', lease_owner: gone },
    ]);
    // Their lanes are kept: a new send of the connection waits.
    const locks = await rows<{ owner: string }>(sql`select owner from connection_locks where job_id in (${send}, ${fetch}) order by lane`);
    expect(locks.map((l) => l.owner)).toEqual([samePid, gone]);
    const waiting = (await hub.api('POST', `/api/connections/${T.id}/send`)).body.jobId;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await hub.api('GET', `/api/jobs/${waiting}`)).body).toMatchObject({ state: 'running', phase: 'waiting' });
    expect(target.products.size).toBe(0);

    // The leases lapse (their processes stopped renewing): now they are taken back.
    await rows(sql`update jobs set lease_expires_at = now() - interval '1 second' where id in (${send}, ${fetch})`);
    await rows(sql`update connection_locks set expires_at = now() - interval '1 second' where job_id in (${send}, ${fetch})`);
    const reaped = await hub.running.queue.reap();
    expect(reaped.requeued.sort()).toEqual([send, fetch].sort());
    for (const id of [send, fetch, waiting]) expect((await hub.waitJob(id)).state).toBe('completed');
    expect(target.products.size).toBe(20);
    expect([...skuCounts(target).values()].every((n) => n === 1)).toBe(true);
  });
});

describe.each(DATABASES)('a queued job whose message a killed process had taken (%s)', (kind) => {
  let hub: TestHub;
  let shop: Storefront;
  beforeAll(async () => {
    hub = await startTestHub(kind, { schedule: false });
    shop = await startStorefront({ key: 'orphan-shop-12345', products: 5 });
  });
  afterAll(async () => {
    await hub?.close();
    await shop?.close();
  });

  it('is sent again and runs once', async () => {
    const S = await connectShop(hub, 'Source', shop);
    const rows = <R>(q: ReturnType<typeof sql>) => hub.running.hub.db.rows<R>(q);
    // Queued a minute ago; its message was taken (active) by a process killed before it marked the job running.
    const [job] = await rows<{ id: string }>(sql`insert into jobs (type, connection_id, state, queued_at)
      values ('fetch', ${S.id}, 'queued', now() - interval '1 minute') returning id`);
    await rows(sql`insert into pgboss.job (name, data, state, started_on, created_on)
      values ('channelsync-jobs', ${JSON.stringify({ jobId: job.id })}::jsonb, 'active', now() - interval '1 minute', now() - interval '1 minute')`);
    await hub.running.queue.reap();
    const done = await hub.waitJob(job.id, 20_000);
    expect(done).toMatchObject({ state: 'completed', attempts: 1 });
    expect(done.summary.fetch.scanned).toBe(5);
  });
});

/**
 * Two hubs in one OS process share a PostgreSQL database: the same host name and the
 * same pid, two live processes as far as leases go. Neither takes the other's running job.
 */
describe('two hubs with the same host name and pid (postgres)', () => {
  const N = 80;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let a: RunningHub;
  let b: RunningHub;
  let source: Storefront;
  let target: Storefront;
  beforeAll(async () => {
    db = await freshDatabase('postgres');
    source = await startStorefront({ key: 'twin-source-1234', products: N });
    target = await startStorefront({ key: 'twin-target-1234', products: [] });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await source?.close();
    await target?.close();
    await db?.drop();
  });

  it('a live job is never taken over by the twin: it runs once, each product created once', async () => {
    const log = pino({ level: 'silent' });
    const opts = { databaseUrl: db.url!, dataDir: 'memory://', port: 0, host: '127.0.0.1', logger: log, schedule: false as const, allowPrivateTargets: true };
    a = await startHub({ ...opts, workers: 1 });
    const api = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(a.url + p, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: await res.json() as any };
    };
    const connect = async (name: string, shop: Storefront, settings?: unknown) => (await api('POST', '/api/connections', {
      name, kind: 'custom', config: { productsUrl: shop.productsUrl, ordersUrl: shop.ordersUrl, key: shop.key, retryBaseMs: 5 }, settings,
    })).body;
    const S = await connect('Source', source);
    const T = await connect('Target', target, { absorb: { products: true } });
    const job = async (id: string) => {
      let j: any;
      await until(`job ${id}`, async () => ['completed', 'failed', 'cancelled'].includes((j = (await api('GET', `/api/jobs/${id}`)).body).state), 60_000);
      return j;
    };
    expect((await job((await api('POST', `/api/connections/${S.id}/fetch`)).body.jobId)).state).toBe('completed');

    // A send that lasts several leases (about 9 s against a 3 s lease).
    target.setFaults({ delayMs: 900 });
    const id = (await api('POST', `/api/connections/${T.id}/send`)).body.jobId;
    await until('the send to run', async () => target.requests.length > 0);
    const [{ lease_owner: owner }] = await a.hub.db.rows<{ lease_owner: string }>(sql`select lease_owner from jobs where id = ${id}`);
    expect(owner).toContain(a.hub.owner);
    // The twin joins, with its own workers and reaper; it also reaps by hand all along.
    b = await startHub({ ...opts, workers: 1, api: false });
    expect(b.hub.owner).not.toBe(a.hub.owner);
    const owners = new Set<string>();
    for (let ended = false; !ended;) {
      await b.queue.reap();
      const [row] = await b.hub.db.rows<{ state: string; lease_owner: string | null; attempts: number }>(sql`select state, lease_owner, attempts from jobs where id = ${id}`);
      if (row.lease_owner) owners.add(row.lease_owner);
      expect(row.attempts).toBe(1);
      ended = row.state !== 'running';
      await new Promise((r) => setTimeout(r, 300));
    }
    expect([...owners]).toEqual([owner]);
    const done = await job(id);
    expect(done).toMatchObject({ state: 'completed', attempts: 1 });
    expect(done.summary.send).toMatchObject({ created: N, failed: 0 });
    expect(target.products.size).toBe(N);
    const creates = new Map<string, number>();
    for (const r of target.requests) if (r.path === '/api/product') creates.set(String((r.body as { sku: string }).sku), (creates.get(String((r.body as { sku: string }).sku)) ?? 0) + 1);
    expect([...creates.values()].every((n) => n === 1)).toBe(true);
    expect(creates.size).toBe(N);
  }, 60_000);
});
