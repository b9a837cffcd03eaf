import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { TestHub } from './helpers/hub.js';
import type { Storefront } from '../src/storefront/server.js';

// A short lease, read when the job modules load: heartbeats every second, a dead lease found within seconds.
process.env.CHANNELSYNC_LEASE_SECONDS = '3';
const { DATABASES, startTestHub } = await import('./helpers/hub.js');
const { connectShop, until } = await import('./helpers/shops.js');
const { startStorefront } = await import('../src/storefront/server.js');

/** Job leases as another machine's processes leave them: this hub cannot see those processes, only their leases. */
describe.each(DATABASES)('job leases (%s)', (kind) => {
  let hub: TestHub;
  let shop: Storefront;
  let target: Storefront;
  let S: { id: string };
  let T: { id: string };
  const rows = <R>(q: ReturnType<typeof sql>) => hub.running.hub.db.rows<R>(q);

  beforeAll(async () => {
    hub = await startTestHub(kind, { schedule: false });
    shop = await startStorefront({ key: 'lease-shop-12345', products: 40 });
    target = await startStorefront({ key: 'lease-target-1234', products: [] });
    S = await connectShop(hub, 'Source', shop);
    T = await connectShop(hub, 'Target', target, { settings: { absorb: { products: true } } });
    expect((await hub.run('fetch', S.id)).state).toBe('completed');
  });
  afterAll(async () => {
    await hub?.close();
    await shop?.close();
    await target?.close();
  });

  /** A job that a process on another machine took and then lost (its lease expired `ago` seconds ago). */
  const abandoned = async (connectionId: string, attempts: number, ago = 5) => {
    const [job] = await rows<{ id: string }>(sql`insert into jobs (type, connection_id, state, phase, attempts, lease_owner, lease_expires_at, started_at)
      values ('send', ${connectionId}, 'running', 'send', ${attempts}, 'far-away-host/4242-deadbeef', now() - make_interval(secs => ${ago}), now() - interval '1 minute')
      returning id`);
    await rows(sql`insert into connection_locks (connection_id, lane, job_id, owner, expires_at)
      values (${connectionId}, 'send', ${job.id}, 'far-away-host/4242-deadbeef', now() - make_interval(secs => ${ago}))`);
    return job.id;
  };

  it('takes up a job whose lease expired on another machine and runs it to the end', async () => {
    const id = await abandoned(T.id, 1);
    const reaped = await hub.running.queue.reap();
    expect(reaped.requeued).toEqual([id]);
    const job = await hub.waitJob(id);
    expect(job).toMatchObject({ state: 'completed', attempts: 2, error: null });
    expect(job.summary.send.created).toBe(40);
    expect(target.products.size).toBe(40);
  });

  it('leaves a job alone while its lease is renewed, and gives up on one that keeps killing its workers', async () => {
    const [live] = await rows<{ id: string }>(sql`insert into jobs (type, connection_id, state, attempts, lease_owner, lease_expires_at)
      values ('send', ${S.id}, 'running', 1, 'far-away-host/777-cafe', now() + interval '30 seconds') returning id`);
    const doomed = await abandoned(S.id, 3);
    const reaped = await hub.running.queue.reap();
    expect(reaped).toEqual({ requeued: [], failed: [doomed] });
    const failed = (await hub.api('GET', `/api/jobs/${doomed}`)).body;
    expect(failed).toMatchObject({ state: 'failed', error: expect.stringMatching(/stopped 3 times/) });
    expect((await hub.api('GET', `/api/jobs/${live.id}`)).body.state).toBe('running');
    await rows(sql`update jobs set state = 'cancelled', lease_owner = null where id = ${live.id}`);
  });

  it('a queued job whose message was lost is sent again; delivered twice, it runs once', async () => {
    const [lost] = await rows<{ id: string }>(sql`insert into jobs (type, connection_id, state, queued_at)
      values ('fetch', ${S.id}, 'queued', now() - interval '1 minute') returning id`);
    await hub.running.queue.reap();
    await hub.running.queue.reap();
    const job = await hub.waitJob(lost.id);
    expect(job).toMatchObject({ state: 'completed', attempts: 1 });
    expect(job.summary.fetch.scanned).toBe(40);
  });

  it('a job whose lease another process took over stops, and leaves the job to it', async () => {
    shop.setFaults({ delayMs: 200 });
    const id = (await hub.api('POST', `/api/connections/${S.id}/fetch`)).body.jobId;
    await until('the fetch to run', async () => (await hub.api('GET', `/api/jobs/${id}`)).body.phase === 'scan');
    // What another process does when it takes an expired lease: the job is its own now.
    await rows(sql`update jobs set lease_owner = 'far-away-host/99-feed', lease_expires_at = now() + interval '1 hour' where id = ${id}`);
    await until('this hub to let go', async () => {
      const [lock] = await rows<{ n: number }>(sql`select count(*)::int as n from connection_locks where job_id = ${id} and owner not like 'far-away-host/%'`);
      return lock.n === 0 && (await hub.api('GET', '/api/connections/' + S.id)).body.jobs.length > 0;
    }, 15_000);
    await new Promise((r) => setTimeout(r, 500));
    // Untouched by this hub: still running under the other owner's name, nothing reported over it.
    const [row] = await rows<{ state: string; lease_owner: string; finished_at: Date | null }>(sql`select state, lease_owner, finished_at from jobs where id = ${id}`);
    expect(row).toMatchObject({ state: 'running', lease_owner: 'far-away-host/99-feed', finished_at: null });
    shop.setFaults({});
    await rows(sql`update jobs set state = 'cancelled', lease_owner = null where id = ${id}`);
  });
});
