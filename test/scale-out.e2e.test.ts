import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from './helpers/hub.js';
import { skuCounts, until } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Proc {
  child: ChildProcess;
  pid: number;
  /** The API address (API processes only). */
  url: string | null;
  exited: Promise<number | null>;
  log(): string;
}

/** `channelsync <args>` as its own process (the CLI a deployment runs); resolves once it says it is running. */
async function cli(args: string[], env: Record<string, string>): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), ...args], {
    cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string | null>((resolve, reject) => {
    const check = () => {
      const m = out.match(/channelsync is running on (\S+)/);
      if (m) resolve(m[1].startsWith('http') ? m[1] : null);
    };
    child.stdout!.on('data', check);
    exited.then((code) => reject(new Error(`channelsync ${args.join(' ')} exited (${code}): ${out}`)));
  });
  return { child, pid: child.pid!, url, exited, log: () => out };
}

/** Two worker processes and an API-only process on one fresh PostgreSQL database. */
describe('scale-out: an API process and worker processes sharing one PostgreSQL', () => {
  const N = 200;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let sql: pg.Client;
  let source: Storefront;
  const targets: Storefront[] = [];
  const procs: Proc[] = [];
  let api: Proc;
  let env: Record<string, string>;

  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(api.url + p, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const waitJob = async (id: string, timeoutMs = 90_000) => {
    let job: any;
    await until(`job ${id} to end`, async () => {
      job = (await call('GET', `/api/jobs/${id}`)).body;
      return ['completed', 'failed', 'cancelled'].includes(job.state);
    }, timeoutMs);
    return job;
  };
  const connect = async (name: string, shop: Storefront, settings?: unknown) => {
    const res = await call('POST', '/api/connections', {
      name, kind: 'custom', settings, config: { productsUrl: shop.productsUrl, ordersUrl: shop.ordersUrl, key: shop.key, retryBaseMs: 5 },
    });
    expect(res.status).toBe(201);
    return res.body as { id: string };
  };
  /** Which process (pid) holds a running job, from its lease. */
  const holder = async (jobId: string): Promise<number | null> => {
    const { rows } = await sql.query(`select lease_owner from jobs where id = $1 and state = 'running'`, [jobId]);
    const owner: string | undefined = rows[0]?.lease_owner;
    return owner ? Number(owner.split('/').pop()!.split('-')[0]) : null;
  };
  const worker = async () => {
    const w = await cli(['worker'], env);
    procs.push(w);
    return w;
  };
  const createsBySku = (shop: Storefront) => {
    const out = new Map<string, number>();
    for (const r of shop.requests) if (r.path === '/api/product') out.set(String((r.body as { sku: string }).sku), (out.get(String((r.body as { sku: string }).sku)) ?? 0) + 1);
    return out;
  };
  const expectEachOnce = (shop: Storefront) => {
    expect(shop.products.size).toBe(N);
    const skus = skuCounts(shop);
    expect([...skus.keys()].sort()).toEqual([...source.products.values()].map((p) => p.sku).sort());
    expect([...skus.values()].every((n) => n === 1)).toBe(true);
    const creates = createsBySku(shop);
    expect(creates.size).toBe(N);
    expect([...creates.values()].every((n) => n === 1)).toBe(true);
  };

  beforeAll(async () => {
    db = await freshDatabase('postgres');
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    source = await startStorefront({ key: 'scale-source-1234', products: N });
    // A short lease so a dead worker's job is taken up within seconds; no schedules, only the jobs the test starts.
    // One secret for every process sharing the database, as on several machines.
    env = { DATABASE_URL: db.url!, CHANNELSYNC_SECRET: 'scale-out-test-secret', CHANNELSYNC_LEASE_SECONDS: '3', CHANNELSYNC_WORKERS: '2', CHANNELSYNC_SCHEDULER: 'off', PORT: '0' };
    // The API alone first: it migrates the database; workers join it.
    api = await cli(['start', '--no-worker'], env);
    procs.push(api);
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await sql?.end();
    await source?.close();
    await Promise.all(targets.map((t) => t.close()));
    await db?.drop();
  });

  it('an API started with --no-worker runs no job itself', async () => {
    const S = await connect('Source', source);
    const queued = (await call('POST', `/api/connections/${S.id}/fetch`)).body.jobId;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await call('GET', `/api/jobs/${queued}`)).body.state).toBe('queued');
    await worker();
    await worker();
    const fetched = await waitJob(queued);
    expect(fetched.state).toBe('completed');
    expect(fetched.summary.fetch.created).toBe(N);
  });

  it('a worker killed mid-send: its job is taken up by the other one and every product is created exactly once', async () => {
    for (let i = 0; i < 3; i++) targets.push(await startStorefront({ key: `scale-target-${i}-1234`, products: [] }));
    const T = [];
    for (const [i, t] of targets.entries()) T.push(await connect(`Target ${i}`, t, { absorb: { products: true } }));
    for (const t of targets) t.setFaults({ delayMs: 60 });
    const jobs: string[] = [];
    for (const t of T) jobs.push((await call('POST', `/api/connections/${t.id}/send`)).body.jobId);

    // Both workers busy, one of them mid-send on a target that has some products already.
    let victim = -1;
    let victimJob = '';
    await until('a send half done', async () => {
      for (const [i, id] of jobs.entries()) {
        const pid = await holder(id);
        if (pid && targets[i].products.size >= 30 && targets[i].products.size < N) {
          victim = pid;
          victimJob = id;
          return true;
        }
      }
      return false;
    });
    const dead = procs.find((p) => p.pid === victim)!;
    expect(dead).toBeDefined();
    dead.child.kill('SIGKILL');
    await dead.exited;
    const landedAtKill = targets[jobs.indexOf(victimJob)].products.size;
    expect(landedAtKill).toBeLessThan(N);
    for (const t of targets) t.setFaults({});

    const ended = await Promise.all(jobs.map((id) => waitJob(id)));
    for (const job of ended) expect(job.state, job.error).toBe('completed');
    const taken = ended[jobs.indexOf(victimJob)];
    expect(taken.attempts).toBe(2);
    expect((await sql.query(`select lease_owner from jobs where id = $1`, [victimJob])).rows[0].lease_owner).not.toContain(`/${victim}-`);
    for (const t of targets) expectEachOnce(t);
    for (const t of T) expect((await call('GET', `/api/connections/${t.id}`)).body).toMatchObject({ equivalences: { live: N }, pending: { total: 0 } });
    // Nothing was ever written back to the source.
    expect(source.requests).toEqual([]);
  });

  it('SIGTERM: a worker stops at a safe point, exits cleanly, and another worker finishes its job', async () => {
    const spare = await worker();
    const t = await startStorefront({ key: 'scale-target-9-1234', products: [] });
    targets.push(t);
    const T = await connect('Target 9', t, { absorb: { products: true } });
    t.setFaults({ delayMs: 60 });
    const id = (await call('POST', `/api/connections/${T.id}/send`)).body.jobId;
    let pid: number | null = null;
    await until('the send to be under way', async () => {
      pid = await holder(id);
      return pid !== null && t.products.size >= 20;
    });
    const stopping = procs.find((p) => p.pid === pid)!;
    stopping.child.kill('SIGTERM');
    expect(await stopping.exited).toBe(0);
    expect(stopping.log()).toMatch(/SIGTERM: finishing the current page and stopping/);
    // Stopped between batches: every create it started was answered and bound, none left uncertain.
    // Another worker may have taken the job over already: its own batch in flight is not the stopped one's.
    const { rows } = await sql.query(`select count(*)::int as n from equivalences e, jobs j
      where j.id = $2 and e.connection_id = $1 and e.external_id is null and e.create_attempted_at is not null
        and (j.state <> 'running' or j.lease_owner like $3 or e.create_attempted_at < j.started_at)`, [T.id, id, `%/${pid}-%`]);
    expect(rows[0].n).toBe(0);
    t.setFaults({});
    const job = await waitJob(id);
    expect(job.state).toBe('completed');
    expect(job.summary.send.recovered).toBe(0);
    expect([spare.pid, ...procs.filter((p) => p !== stopping && p !== api).map((p) => p.pid)]).toContain(
      Number(((await sql.query(`select lease_owner from jobs where id = $1`, [id])).rows[0].lease_owner as string).split('/').pop()!.split('-')[0]),
    );
    expectEachOnce(t);
  });
});
