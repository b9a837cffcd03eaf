/**
 * The orders benchmark (issue 3). Prints figures; it is not a test.
 *
 * 1. Stock at once: a webshop W and marketplaces M1, M2 synced in a loop ("sync
 *    running"). 200 times: an order is placed on M1; we time until M2 receives the
 *    lowered stock for that variation — from the order being visible on M1, and from
 *    the end of the M1 fetch that imported it. Median and p99.
 * 2. Throughput: 10,000 orders on M1, imported (fetch M1) and forwarded (send W).
 *
 *   npx tsx bench/orders.bench.ts                      # both databases
 *   npx tsx bench/orders.bench.ts --db pglite --orders 10000 --latency 200
 */
import crypto from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { startHub, type RunningHub } from '../src/app.js';
import { demoProduct } from '../src/storefront/catalog.js';
import { startStorefront, type Storefront, type StoreProduct } from '../src/storefront/server.js';

const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const DBS = arg('db', 'pglite,postgres').split(',') as Array<'pglite' | 'postgres'>;
const ORDERS = Number(arg('orders', '10000'));
const LATENCY_ORDERS = Number(arg('latency', '200'));
const PRODUCTS = Number(arg('products', '100'));

interface Env {
  hub: RunningHub;
  api(method: string, p: string, body?: unknown): Promise<any>;
  run(type: 'fetch' | 'send' | 'sync', id: string): Promise<any>;
  close(): Promise<void>;
}

async function startEnv(kind: 'pglite' | 'postgres'): Promise<Env> {
  let url: string | undefined;
  let drop = async () => {};
  if (kind === 'postgres') {
    const name = `cs_bench_${crypto.randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(POSTGRES_URL);
    u.pathname = `/${name}`;
    url = u.toString();
    drop = async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  const hub = await startHub({
    port: 0, host: '127.0.0.1', workers: 4, dataDir: 'memory://', databaseUrl: url, logger: pino({ level: 'silent' }),
  });
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(hub.url + p, {
      method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const run = async (type: 'fetch' | 'send' | 'sync', id: string) => {
    const { jobId } = await api('POST', `/api/connections/${id}/${type}`);
    for (;;) {
      const job = await api('GET', `/api/jobs/${jobId}`);
      if (['completed', 'failed', 'cancelled'].includes(job.state)) {
        if (job.state !== 'completed') throw new Error(`${type} ${job.state}: ${job.error}`);
        return job;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { hub, api, run, close: async () => { await hub.close(); await drop(); } };
}

function catalog(n: number, stock: number): StoreProduct[] {
  return Array.from({ length: n }, (_, i) => {
    const p = demoProduct(i);
    p.variations!.forEach((v) => { v.availabilities = [{ tag: 'default', quantity: String(stock) }]; });
    return p;
  });
}

async function shops(products: number, stock: number) {
  const w = await startStorefront({ key: 'bench-webshop-1', products: catalog(products, stock), decrementStockOnOrder: true, pageSize: 250 });
  const m1 = await startStorefront({ key: 'bench-market1-1', products: [], pageSize: 250 });
  const m2 = await startStorefront({ key: 'bench-market2-1', products: [], pageSize: 250 });
  return { w, m1, m2, close: () => Promise.all([w.close(), m1.close(), m2.close()]) };
}

async function connectAll(env: Env, s: { w: Storefront; m1: Storefront; m2: Storefront }) {
  const connect = (name: string, shop: Storefront, settings: unknown) => env.api('POST', '/api/connections', {
    name, kind: 'custom', config: { productsUrl: shop.productsUrl, ordersUrl: shop.ordersUrl, key: shop.key }, settings,
  });
  const W = await connect('Webshop', s.w, { absorb: { orders: true } });
  const M1 = await connect('Market 1', s.m1, { absorb: { products: true } });
  const M2 = await connect('Market 2', s.m2, { absorb: { products: true } });
  await env.run('fetch', W.id);
  await env.run('send', M1.id);
  await env.run('send', M2.id);
  return { W, M1, M2 };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

/** M2's quantity for a variation as last written to it by the hub (undefined until written). */
function watchWrites(m2: Storefront) {
  let seen = 0;
  const last = new Map<string, number>();
  return (): Map<string, number> => {
    for (; seen < m2.requests.length; seen++) {
      const body = m2.requests[seen].body as { variations?: Array<{ sku?: string; availabilities?: Array<{ quantity: number }> }> };
      for (const v of body.variations ?? []) {
        if (v.sku && v.availabilities) last.set(v.sku, v.availabilities.reduce((n, a) => n + Number(a.quantity), 0));
      }
    }
    return last;
  };
}

async function latency(kind: 'pglite' | 'postgres') {
  const env = await startEnv(kind);
  const s = await shops(PRODUCTS, 1_000_000);
  try {
    const { W, M1, M2 } = await connectAll(env, s);
    const m1Products = [...s.m1.products.values()];
    let running = true;
    const fetchDone: number[] = [];
    env.hub.hub.events.on('job', (j: { connectionId: string; state: string; summary?: { fetchOrders?: { created: number } } }) => {
      if (j.connectionId === M1.id && j.state === 'completed' && (j.summary?.fetchOrders?.created ?? 0) > 0) fetchDone.push(performance.now());
    });
    const loop = async (id: string) => { while (running) await env.run('sync', id).catch(() => undefined); };
    const loops = [loop(M1.id), loop(M2.id), loop(W.id)];
    const writes = watchWrites(s.m2);
    const fromOrder: number[] = [];
    const fromFetch: number[] = [];
    const expected = new Map<string, number>();
    for (let i = 0; i < LATENCY_ORDERS; i++) {
      const p = m1Products[i % m1Products.length];
      const v = p.variations![Math.floor(i / m1Products.length) % p.variations!.length];
      const sku = v.sku!;
      // What M2 should show after this sale, from the hub's point of view: its current value minus 1.
      const current = expected.get(sku) ?? 1_000_000;
      expected.set(sku, current - 1);
      const fetchesBefore = fetchDone.length;
      const t0 = performance.now();
      s.m1.placeOrder({
        orderid: `LAT-${i}`, status: 'payed', total: { amount: 10, currency: 'USD' },
        orderItems: [{ id: p._id, variation_id: v._id, quantity: 1, unitPrice: 10 }],
      });
      for (;;) {
        const q = writes().get(sku);
        if (q !== undefined && q <= current - 1) break;
        await new Promise((r) => setTimeout(r, 2));
      }
      const t1 = performance.now();
      fromOrder.push(t1 - t0);
      const seenAt = fetchDone.slice(fetchesBefore).find((t) => t >= t0);
      if (seenAt !== undefined) fromFetch.push(Math.max(0, t1 - seenAt));
    }
    running = false;
    await Promise.all(loops);
    fromOrder.sort((a, b) => a - b);
    fromFetch.sort((a, b) => a - b);
    console.log(`[${kind}] stock at once, ${LATENCY_ORDERS} orders, sync loops on W, M1, M2 (${PRODUCTS} products):`);
    console.log(`  order visible on M1 -> new stock written to M2: median ${fmt(pct(fromOrder, 50))}, p99 ${fmt(pct(fromOrder, 99))}`);
    console.log(`  M1 fetch that saw it done -> new stock written to M2: median ${fmt(pct(fromFetch, 50))}, p99 ${fmt(pct(fromFetch, 99))} (${fromFetch.length} matched)`);
  } finally {
    await env.close();
    await s.close();
  }
}

async function throughput(kind: 'pglite' | 'postgres') {
  const env = await startEnv(kind);
  const s = await shops(PRODUCTS, 1_000_000);
  try {
    const { W, M1 } = await connectAll(env, s);
    const m1Products = [...s.m1.products.values()];
    for (let k = 0; k < ORDERS; k++) {
      const p = m1Products[k % m1Products.length];
      const v = p.variations![k % p.variations!.length];
      s.m1.placeOrder({
        orderid: `TP-${k}`, status: 'payed', total: { amount: 10, currency: 'USD' }, dateCreated: new Date(Date.UTC(2026, 0, 1) + k * 60_000).toISOString(),
        orderItems: [{ id: p._id, variation_id: v._id, quantity: String(1 + (k % 2)), unitPrice: '10' }],
        buyer: { id: String(k), email: `b${k}@example.com`, firstName: 'B', lastName: String(k) },
      });
    }
    const t0 = performance.now();
    const fetched = await env.run('fetch', M1.id);
    const t1 = performance.now();
    const sent = await env.run('send', W.id);
    const t2 = performance.now();
    const inW = s.w.orders.size;
    const total = (t2 - t0) / 1000;
    console.log(`[${kind}] ${ORDERS} orders imported and forwarded:`);
    console.log(`  import (fetch M1): ${fmt(t1 - t0)} = ${Math.round(ORDERS / ((t1 - t0) / 1000))} orders/s (created ${fetched.summary.fetchOrders.created}, reserved ${fetched.summary.fetchOrders.reserved} units)`);
    console.log(`  forward (send W):  ${fmt(t2 - t1)} = ${Math.round(ORDERS / ((t2 - t1) / 1000))} orders/s (forwarded ${sent.summary.sendOrders.forwarded}, in W ${inW})`);
    console.log(`  together: ${total.toFixed(1)} s = ${Math.round(ORDERS / total)} orders/s`);
  } finally {
    await env.close();
    await s.close();
  }
}

for (const kind of DBS) {
  await latency(kind);
  await throughput(kind);
}
process.exit(0);
