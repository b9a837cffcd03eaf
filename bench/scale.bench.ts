/**
 * The scale-out benchmark (issue 7), on PostgreSQL, with the processes a deployment
 * runs (`channelsync start --no-worker` and N × `channelsync worker`):
 *
 * 1. Throughput with 1, 2 and 4 worker processes for a 100k-product absorb: four
 *    webshops of 25k products each are fetched at once (four jobs the workers share),
 *    then a marketplace absorbs all 100k (one job: a connection is served by one
 *    worker at a time, so this phase cannot spread).
 * 2. Webhook latency: an order placed on marketplace 1 posts order.created; the time
 *    until marketplace 2 has received its new stock. Median and p99, for one process
 *    running everything and for the three-process deployment.
 *
 * Prints figures; it is not a test.
 *
 *   npx tsx bench/scale.bench.ts                     # 100k, workers 1,2,4, 40 orders
 *   npx tsx bench/scale.bench.ts --products 20000 --workers 1,2 --orders 20
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { demoProduct } from '../src/storefront/catalog.js';
import { startStorefront, type Storefront, type StoreProduct } from '../src/storefront/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const PRODUCTS = Number(arg('products', '100000'));
const WORKERS = arg('workers', '1,2,4').split(',').map(Number);
const SHARDS = 4;
const ORDERS = Number(arg('orders', '40'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Proc { child: ChildProcess; url: string | null }
const procs: ChildProcess[] = [];

function spawnTsx(file: string, argv: string[], env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...argv], {
    cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  procs.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(ready);
      if (m) resolve({ child, match: m });
    });
    child.once('exit', (code) => reject(new Error(`${file} ${argv.join(' ')} exited (${code}): ${out}`)));
  });
}

async function channelsync(argv: string[], env: Record<string, string>): Promise<Proc> {
  const { child, match } = await spawnTsx('src/cli.ts', argv, env, /channelsync is running on (\S+)/);
  return { child, url: match[1].startsWith('http') ? match[1] : null };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000).then(() => child.kill('SIGKILL'))]);
}

async function freshDb(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `cs_scale_${process.pid}_${Date.now()}`;
  const admin = new pg.Client(POSTGRES_URL);
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(POSTGRES_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client(POSTGRES_URL);
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

function client(url: string) {
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(url + p, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await res.json() as any;
    if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const wait = async (jobId: string) => {
    for (;;) {
      const job = await call('GET', `/api/jobs/${jobId}`);
      if (job.state === 'completed') return job;
      if (job.state === 'failed' || job.state === 'cancelled') throw new Error(`job ${job.type} ${job.state}: ${job.error}`);
      await sleep(100);
    }
  };
  const connect = (name: string, base: string, key: string, settings?: unknown) =>
    call('POST', '/api/connections', { name, kind: 'custom', settings, config: { productsUrl: `${base}/api/product`, ordersUrl: `${base}/api/order`, key } });
  return { call, wait, connect };
}

async function throughput(workers: number): Promise<{ fetchMs: number; absorbMs: number }> {
  const db = await freshDb();
  const env = { DATABASE_URL: db.url, CHANNELSYNC_SECRET: 'bench-secret', CHANNELSYNC_SCHEDULER: 'off', PORT: '0' };
  const started: ChildProcess[] = [];
  try {
    const per = PRODUCTS / SHARDS;
    const base = 19600 + Math.floor(Math.random() * 300);
    const stores: string[] = [];
    for (let k = 0; k <= SHARDS; k++) {
      const count = k < SHARDS ? per : 0;
      const { child, match } = await spawnTsx('bench/scale-store.ts', [], { PORT: String(base + k), KEY: `scale-key-${k}`, FROM: String(k * per), COUNT: String(count) }, /ready (\S+)/);
      started.push(child);
      stores.push(match[1]);
    }
    const api = await channelsync(['start', '--no-worker'], env);
    started.push(api.child);
    for (let i = 0; i < workers; i++) started.push((await channelsync(['worker'], env)).child);
    const hub = client(api.url!);
    const sources = [];
    for (let k = 0; k < SHARDS; k++) sources.push(await hub.connect(`Webshop ${k}`, stores[k], `scale-key-${k}`));
    const market = await hub.connect('Marketplace', stores[SHARDS], `scale-key-${SHARDS}`, { absorb: { products: true } });

    let t = performance.now();
    const fetches = await Promise.all(sources.map(async (s) => hub.wait((await hub.call('POST', `/api/connections/${s.id}/fetch`)).jobId)));
    const fetchMs = performance.now() - t;
    const created = fetches.reduce((n, j) => n + j.summary.fetch.created, 0);
    if (created !== PRODUCTS) throw new Error(`fetched ${created} of ${PRODUCTS}`);
    t = performance.now();
    const sent = await hub.wait((await hub.call('POST', `/api/connections/${market.id}/send`)).jobId);
    const absorbMs = performance.now() - t;
    if (sent.summary.send.created !== PRODUCTS) throw new Error(`absorbed ${sent.summary.send.created} of ${PRODUCTS}`);
    return { fetchMs, absorbMs };
  } finally {
    for (const c of started.reverse()) await stop(c);
    await db.drop();
  }
}

function stockOf(shop: Storefront, sku: string): number {
  for (const p of shop.products.values()) {
    const v = (p.variations ?? []).find((x) => x.sku === sku);
    if (v) return (v.availabilities ?? []).reduce((n, a) => n + Number(a.quantity), 0);
  }
  return NaN;
}

/** Order placed on M1 -> its webhook -> the hub reads that order -> new stock written to M2. */
async function latency(mode: 'one process' | 'API + 2 workers'): Promise<number[]> {
  const db = await freshDb();
  const env = { DATABASE_URL: db.url, CHANNELSYNC_SECRET: 'bench-secret', CHANNELSYNC_SCHEDULER: 'off', PORT: '0' };
  const started: ChildProcess[] = [];
  const catalog: StoreProduct[] = Array.from({ length: 1000 }, (_, i) => {
    const p = demoProduct(i);
    p.variations!.forEach((v) => { v.availabilities = [{ tag: 'default', quantity: 1000 }]; });
    return p;
  });
  const w = await startStorefront({ key: 'lat-webshop-1234', products: catalog, decrementStockOnOrder: true });
  const m1 = await startStorefront({ key: 'lat-market1-1234', products: [] });
  const m2 = await startStorefront({ key: 'lat-market2-1234', products: [] });
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on('error', () => undefined);
  try {
    const api = await channelsync(mode === 'one process' ? ['start'] : ['start', '--no-worker'], env);
    started.push(api.child);
    if (mode !== 'one process') for (let i = 0; i < 2; i++) started.push((await channelsync(['worker'], env)).child);
    const hub = client(api.url!);
    const W = await hub.connect('Webshop', w.url, w.key, { absorb: { orders: true } });
    const M1 = await hub.connect('Market 1', m1.url, m1.key, { absorb: { products: true } });
    const M2 = await hub.connect('Market 2', m2.url, m2.key, { absorb: { products: true } });
    await hub.wait((await hub.call('POST', `/api/connections/${W.id}/fetch`)).jobId);
    await hub.wait((await hub.call('POST', `/api/connections/${M1.id}/send`)).jobId);
    await hub.wait((await hub.call('POST', `/api/connections/${M2.id}/send`)).jobId);
    w.setWebhook(`${api.url}/hooks/${W.id}`);
    m1.setWebhook(`${api.url}/hooks/${M1.id}`);
    m2.setWebhook(`${api.url}/hooks/${M2.id}`);
    const idle = async () => {
      for (;;) {
        await Promise.all([w, m1, m2].map((s) => s.webhooksSettled()));
        const { rows } = await pool.query(`select count(*)::int as n from jobs where state in ('queued', 'running')`);
        if (rows[0].n === 0) return;
        await sleep(20);
      }
    };
    const samples: number[] = [];
    const m1Products = [...m1.products.values()];
    for (let i = 0; i < ORDERS; i++) {
      const p = m1Products[(i * 37) % m1Products.length];
      const v = p.variations![0];
      const target = [...m2.products.values()].find((x) => x.sku === p.sku)!;
      const tv = target.variations!.find((x) => x.sku === v.sku)!;
      const before = stockOf(m2, v.sku!);
      const t0 = performance.now();
      m1.placeOrder({
        orderid: `LAT-${i}`, status: 'payed', dateCreated: new Date().toISOString(),
        total: { amount: 10, currency: 'USD' }, orderItems: [{ id: p._id, variation_id: v._id, quantity: 1, unitPrice: 10, currencyId: 'USD' }],
        buyer: { id: `b${i}`, email: `b${i}@example.com` },
      });
      const deadline = t0 + 30_000;
      while ((tv.availabilities ?? []).reduce((n, a) => n + Number(a.quantity), 0) !== before - 1) {
        if (performance.now() > deadline) throw new Error(`order ${i}: stock on M2 still ${stockOf(m2, v.sku!)}, expected ${before - 1}`);
        await sleep(1);
      }
      samples.push(performance.now() - t0);
      await idle();
    }
    return samples;
  } finally {
    for (const c of started.reverse()) await stop(c);
    await pool.end();
    await Promise.all([w.close(), m1.close(), m2.close()]);
    await db.drop();
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

async function main() {
  console.log(`PostgreSQL, ${PRODUCTS} products over ${SHARDS} webshops, worker processes ${WORKERS.join(', ')} (4 job slots each), on ${(await import('node:os')).cpus().length} cores`);
  const rows: string[] = [];
  for (const n of WORKERS) {
    console.error(`-- ${n} worker process${n === 1 ? '' : 'es'}`);
    const r = await throughput(n);
    const total = r.fetchMs + r.absorbMs;
    rows.push(`| ${n} | ${(r.fetchMs / 1000).toFixed(1)} | ${Math.round(PRODUCTS / (r.fetchMs / 1000))} | ${(r.absorbMs / 1000).toFixed(1)} | ${Math.round(PRODUCTS / (r.absorbMs / 1000))} | ${(total / 1000).toFixed(1)} | ${Math.round(PRODUCTS / (total / 1000))} |`);
  }
  const k = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));
  console.log(`\n| worker processes | fetch ${SHARDS}×${k(PRODUCTS / SHARDS)} s | fetch products/s | absorb ${k(PRODUCTS)} s | absorb products/s | total s | products/s |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log(`\nWebhook: order on marketplace 1 -> new stock written on marketplace 2 (${ORDERS} orders, one at a time):`);
  for (const mode of ['one process', 'API + 2 workers'] as const) {
    const s = await latency(mode);
    console.log(`  ${mode.padEnd(16)} median ${pct(s, 50).toFixed(0)} ms, p99 ${pct(s, 99).toFixed(0)} ms, max ${Math.max(...s).toFixed(0)} ms`);
  }
}

main().then(() => process.exit(0), async (err) => {
  console.error(err);
  for (const c of procs) if (c.exitCode === null) c.kill('SIGKILL');
  process.exit(1);
});
