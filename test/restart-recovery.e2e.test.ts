import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { freshDatabase } from './helpers/hub.js';
import { killHub, startHubProcess, type HubProcess } from './helpers/hub-process.js';
import { skuCounts, until } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';

/**
 * PostgreSQL: a hub stopped (killed, or asked to stop) while one send of a connection runs
 * and a second send of the same connection is queued. The running one cannot be queued
 * again (one queued job per connection and type): the next start must start all the same,
 * and the two jobs end with the work done once.
 */
describe.each(['SIGKILL', 'SIGTERM'] as const)('a hub stopped (%s) with a send running and the same send queued (postgres)', (signal) => {
  const N = 60;
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.reverse()) await f().catch(() => undefined);
    cleanup.length = 0;
  });

  it('starts again; one of the two sends does the work, none twice', async () => {
    const a = await startStorefront({ key: `recover-a-${signal}`, products: N });
    const b = await startStorefront({ key: `recover-b-${signal}`, products: [] });
    const db = await freshDatabase('postgres');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    cleanup.push(() => a.close(), () => b.close(), () => db.drop(), () => client.end());
    // One worker: the second send stays queued behind the first. A short lease: a dead hub's job expires in seconds.
    const env = { DATABASE_URL: db.url!, CHANNELSYNC_WORKERS: '1', CHANNELSYNC_SCHEDULER: 'off', CHANNELSYNC_LEASE_SECONDS: '3', CHANNELSYNC_SHUTDOWN_GRACE_MS: '500' };
    const procs: HubProcess[] = [];
    cleanup.push(async () => { for (const p of procs) await killHub(p); });
    const first = await startHubProcess(env);
    procs.push(first);
    const connect = async (name: string, shop: Storefront, settings?: unknown) => (await first.api('POST', '/api/connections', {
      name, kind: 'custom', config: { productsUrl: shop.productsUrl, ordersUrl: shop.ordersUrl, key: shop.key, retryBaseMs: 5 }, settings,
    })).body;
    const A = await connect('Source', a);
    const B = await connect('Target', b, { absorb: { products: true } });
    expect((await first.waitJob((await first.api('POST', `/api/connections/${A.id}/fetch`)).body.jobId)).state).toBe('completed');

    b.setFaults({ delayMs: 80 });
    const running = (await first.api('POST', `/api/connections/${B.id}/send`)).body.jobId;
    await until('some creates to land', () => b.products.size >= 10);
    const queued = (await first.api('POST', `/api/connections/${B.id}/send`)).body.jobId;
    expect(queued).not.toBe(running);
    expect((await first.api('GET', `/api/jobs/${running}`)).body.state).toBe('running');
    expect((await first.api('GET', `/api/jobs/${queued}`)).body.state).toBe('queued');

    await killHub(first, signal);
    // Creates already on the wire land, as in a real store.
    let last = -1;
    await until('the storefront to settle', async () => {
      const now = b.products.size;
      const settled = now === last;
      last = now;
      await new Promise((r) => setTimeout(r, 200));
      return settled;
    });
    b.setFaults({});
    // Restart once the stopped hub's lease is over (or, after SIGTERM, the job was handed back): the running send is taken back at start.
    await until('the lease to expire', async () => (await client.query(
      `select 1 from jobs where id = $1 and (state <> 'running' or lease_expires_at < now())`, [running])).rows.length > 0, 15_000);

    const second = await startHubProcess(env);
    procs.push(second);
    const [j1, j2] = [await second.waitJob(running), await second.waitJob(queued)];
    // The queued send does the work; the stopped one, which could not be queued beside it, ends cancelled.
    expect(j1).toMatchObject({ state: 'cancelled', error: expect.stringMatching(/same job, already queued, does the work/) });
    expect(j2.state).toBe('completed');
    expect(j2.attempts).toBe(1);
    expect(j2.summary.send.failed).toBe(0);
    expect(j2.summary.send.recovered + j2.summary.send.created).toBeLessThanOrEqual(N);
    expect(b.products.size).toBe(N);
    expect([...skuCounts(b).values()].every((n) => n === 1)).toBe(true);
    const creates = new Map<string, number>();
    for (const r of b.requests) if (r.path === '/api/product') creates.set(String((r.body as { sku: string }).sku), (creates.get(String((r.body as { sku: string }).sku)) ?? 0) + 1);
    expect(creates.size).toBe(N);
    expect([...creates.values()].every((n) => n === 1)).toBe(true);
    const conn = (await second.api('GET', `/api/connections/${B.id}`)).body;
    expect(conn.equivalences).toEqual({ live: N });
    expect(conn.pending.total).toBe(0);
    // Nothing left running or holding the connection.
    expect((await client.query(`select count(*)::int as n from jobs where state in ('running', 'queued')`)).rows[0].n).toBe(0);
    expect(await killHub(second, 'SIGTERM')).toBe(0);
  }, 120_000);
});
