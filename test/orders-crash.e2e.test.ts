import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, freshDatabase } from './helpers/hub.js';
import { demoProduct } from '../src/storefront/catalog.js';
import { startStorefront, type Storefront, type StoreProduct } from '../src/storefront/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface HubProcess {
  child: ChildProcess;
  api<T = any>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }>;
  run(type: 'fetch' | 'send', connectionId: string): Promise<any>;
  waitJob(jobId: string): Promise<any>;
  exited: Promise<number | null>;
}

/** A whole hub in a child process (test/fixtures/hub-process.ts), so it can really be killed. */
async function startHubProcess(env: Record<string, string>): Promise<HubProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/fixtures/hub-process.ts')], {
    cwd: ROOT, env: { ...process.env, PORT: '0', LOG_LEVEL: 'error', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(/HUB_URL (\S+)/);
      if (m) resolve(m[1]);
    });
    exited.then((code) => reject(new Error(`hub process exited (${code}) before listening: ${stderr}`)));
  });
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(url + p, {
      method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const waitJob = async (id: string) => {
    for (const deadline = Date.now() + 90_000; Date.now() < deadline;) {
      const { body } = await api('GET', `/api/jobs/${id}`);
      if (['completed', 'failed', 'cancelled'].includes(body.state)) return body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`job ${id} did not end`);
  };
  const run = async (type: 'fetch' | 'send', id: string) => waitJob((await api('POST', `/api/connections/${id}/${type}`)).body.jobId);
  return { child, api, run, waitJob, exited };
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !check();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function stockBySku(shop: Storefront): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of shop.products.values()) {
    for (const v of p.variations ?? []) out.set(v.sku!, (v.availabilities ?? []).reduce((n, a) => n + Number(a.quantity), 0));
  }
  return out;
}

describe.each(DATABASES)('the hub process is killed in the middle of forwarding orders (%s)', (kind) => {
  const N = 120;
  let w: Storefront;
  let m1: Storefront;
  let dataDir: string;
  let db: Awaited<ReturnType<typeof freshDatabase>> | null = null;
  const children: ChildProcess[] = [];
  const products: StoreProduct[] = Array.from({ length: 10 }, (_, i) => {
    const p = demoProduct(i);
    p.variations!.forEach((v) => { v.availabilities = [{ tag: 'default', quantity: '500' }]; });
    return p;
  });

  beforeAll(async () => {
    w = await startStorefront({ key: 'kill-webshop-123', products, decrementStockOnOrder: true });
    m1 = await startStorefront({ key: 'kill-market1-123', products: [] });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-orders-kill-'));
    if (kind === 'postgres') db = await freshDatabase('postgres');
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all([w?.close(), m1?.close()]);
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('restarts on the same data and forwards every order exactly once, taking each sale once', async () => {
    // PostgreSQL: the killed hub's job is taken up once its lease expires (a short one here).
    const env = { CHANNELSYNC_DATA: dataDir, CHANNELSYNC_LEASE_SECONDS: '3', ...(db?.url ? { DATABASE_URL: db.url } : {}) };
    const first = await startHubProcess(env);
    children.push(first.child);
    const connect = async (name: string, shop: Storefront, settings: unknown) => (await first.api('POST', '/api/connections', {
      name, kind: 'custom', config: { productsUrl: shop.productsUrl, ordersUrl: shop.ordersUrl, key: shop.key, retryBaseMs: 5 }, settings,
    })).body;
    const W = await connect('Webshop', w, { absorb: { orders: true } });
    const M1 = await connect('Market 1', m1, { absorb: { products: true } });
    expect((await first.run('fetch', W.id)).state).toBe('completed');
    expect((await first.run('send', M1.id)).state).toBe('completed');

    // N orders placed on the marketplace, over its own product and variation ids.
    const onM1 = [...m1.products.values()];
    const ordered = new Map<string, number>();
    for (let k = 0; k < N; k++) {
      const p = onM1[k % onM1.length];
      const v = p.variations![k % p.variations!.length];
      const quantity = 1 + (k % 3);
      ordered.set(v.sku!, (ordered.get(v.sku!) ?? 0) + quantity);
      m1.placeOrder({
        orderid: `MK-${1000 + k}`, status: 'payed', total: { amount: 10 * quantity, currency: 'USD' },
        orderItems: [{ id: p._id, variation_id: v._id, quantity: String(quantity), unitPrice: '10' }],
      });
    }
    const imported = await first.run('fetch', M1.id);
    expect(imported.summary.fetchOrders).toMatchObject({ created: N, forwardsPlanned: N, unmatchedLines: 0 });
    const before = stockBySku(w);

    w.setFaults({ delayMs: 60 });
    const sendId = (await first.api('POST', `/api/connections/${W.id}/send`)).body.jobId;
    await until('some forwards to land', () => w.orders.size >= 25);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(w.orders.size).toBeLessThan(N);
    // Forwards already on the wire finish in the store, as they would in a real one.
    let last = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 200));
      if (w.orders.size === last) break;
      last = w.orders.size;
    }
    w.setFaults({});

    const second = await startHubProcess(env);
    children.push(second.child);
    // PostgreSQL: the job of the dead process is queued again and a live worker finishes it.
    const resent = kind === 'pglite' ? await second.run('send', W.id) : await second.waitJob(sendId);
    expect(resent.state).toBe('completed');
    expect(resent.summary.sendOrders.failed).toBe(0);
    expect(resent.summary.sendOrders.recovered).toBeGreaterThan(0);
    expect(resent.summary.sendOrders.recovered + resent.summary.sendOrders.forwarded).toBeLessThanOrEqual(N);

    // Every marketplace order is in the webshop once, and was POSTed to it once.
    const numbers = [...w.orders.values()].map((o) => String(o.orderid)).sort();
    expect(numbers).toEqual(Array.from({ length: N }, (_, k) => `MK-${1000 + k}`).sort());
    const creates = w.requests.filter((r) => r.path === '/api/order').map((r) => String((r.body as { orderid: string }).orderid));
    expect(creates).toHaveLength(N);
    expect(new Set(creates).size).toBe(N);
    // The webshop took each sale once.
    const after = stockBySku(w);
    for (const [sku, qty] of ordered) expect(after.get(sku), sku).toBe(before.get(sku)! - qty);

    // Once the webshop's stock is read, no reservation is left and the marketplace shows the webshop's stock.
    const fetched = await second.run('fetch', W.id);
    expect(fetched.state).toBe('completed');
    expect(fetched.summary.fetchOrders).toMatchObject({ created: 0 });
    expect((await second.run('send', M1.id)).state).toBe('completed');
    const shown = stockBySku(m1);
    for (const [sku, qty] of after) expect(shown.get(sku), sku).toBe(qty);
    const orders = (await second.api('GET', '/api/orders?limit=1')).body;
    expect(orders.total).toBe(N);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
