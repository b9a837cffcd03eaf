import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, freshDatabase, pgliteSnapshotFile, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop, skuCounts, until } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Creates (POSTs to the collection, not to one product) per SKU, as the storefront received them. */
function createsBySku(shop: Storefront): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of shop.requests) {
    if (r.path !== '/api/product') continue;
    const sku = String((r.body as { sku?: string }).sku);
    out.set(sku, (out.get(sku) ?? 0) + 1);
  }
  return out;
}

describe.each(DATABASES)('a create whose answer is lost (%s)', (kind) => {
  let hub: TestHub;
  let a: Storefront;
  let b: Storefront;
  beforeAll(async () => {
    hub = await startTestHub(kind);
    a = await startStorefront({ key: 'crash-a-123456', products: 12 });
    b = await startStorefront({ key: 'crash-b-123456', products: [] });
  });
  afterAll(async () => {
    await hub?.close();
    await a?.close();
    await b?.close();
  });

  it('is found by SKU at the next send and bound, never created twice', async () => {
    const A = await connectShop(hub, 'Source', a);
    const B = await connectShop(hub, 'Target', b, { settings: { absorb: { products: true } } });
    expect((await hub.run('fetch', A.id)).state).toBe('completed');
    b.setFaults({ failCreateAfterStore: 3 });
    const first = await hub.run('send', B.id);
    expect(first.state).toBe('completed');
    expect(first.summary.send).toMatchObject({ created: 9, failed: 3 });
    expect(b.products.size).toBe(12);
    const failedIssues = (await hub.api('GET', `/api/issues?connectionId=${B.id}&severity=error`)).body.items;
    expect(failedIssues).toHaveLength(3);
    expect(failedIssues[0].message).toMatch(/may or may not have been applied/);

    const second = await hub.run('send', B.id);
    expect(second.state).toBe('completed');
    expect(second.summary.send).toMatchObject({ recovered: 3, created: 0, failed: 0 });
    expect(b.products.size).toBe(12);
    expect([...skuCounts(b).values()].every((n) => n === 1)).toBe(true);
    expect([...createsBySku(b).values()].every((n) => n === 1)).toBe(true);
    const issues = (await hub.api('GET', `/api/issues?connectionId=${B.id}`)).body.items;
    expect(issues.filter((i: any) => i.code === 'create_recovered')).toHaveLength(3);
    expect(issues.filter((i: any) => i.severity === 'error')).toEqual([]);
    const conn = (await hub.api('GET', `/api/connections/${B.id}`)).body;
    expect(conn.equivalences).toEqual({ live: 12 });
    expect(conn.pending.total).toBe(0);
    // The recovered bindings are real: a price change reaches the bound products as updates.
    const target = [...a.products.values()][0];
    target.variations![0].prices![0].number = '77.70';
    await hub.run('fetch', A.id);
    const third = await hub.run('send', B.id);
    expect(third.summary.send).toMatchObject({ updated: 1, created: 0 });
    const onB = [...b.products.values()].find((p) => p.sku === target.sku)!;
    expect(onB.variations![0].prices![0].number).toBe(77.7);
    expect(b.products.size).toBe(12);
  });

  it('a store failing every write: the send stops with a clear error, and once it is back each product is created once', async () => {
    const c = await startStorefront({ key: 'crash-c-123456', products: [] });
    try {
      const C = await connectShop(hub, 'Down target', c, { settings: { absorb: { products: true } } });
      c.setFaults({ fail500: 10_000 });
      const failed = await hub.run('send', C.id);
      expect(failed.state).toBe('failed');
      expect(failed.error).toMatch(/HTTP 500/);
      expect(c.products.size).toBe(0);
      expect((await hub.api('GET', `/api/connections/${C.id}`)).body.pending.inserts).toBe(12);

      c.setFaults({});
      const ok = await hub.run('send', C.id);
      expect(ok.state).toBe('completed');
      expect(ok.summary.send).toMatchObject({ created: 12, recovered: 0, failed: 0 });
      expect(c.products.size).toBe(12);
      expect([...skuCounts(c).values()].every((n) => n === 1)).toBe(true);
      expect((await hub.api('GET', `/api/issues?connectionId=${C.id}&severity=error`)).body.items).toEqual([]);
    } finally {
      await c.close();
    }
  });
});

interface HubProcess {
  child: ChildProcess;
  url: string;
  api<T = any>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }>;
  waitJob(id: string): Promise<any>;
  exited: Promise<number | null>;
}

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
    const res = await fetch(url + p, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const waitJob = async (id: string) => {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      const { body } = await api('GET', `/api/jobs/${id}`);
      if (['completed', 'failed', 'cancelled'].includes(body.state)) return body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`job ${id} did not end`);
  };
  return { child, url, api, waitJob, exited };
}

describe.each(DATABASES)('the hub process is killed in the middle of a send (%s)', (kind) => {
  const N = 120;
  let a: Storefront;
  let b: Storefront;
  let dataDir: string;
  let db: Awaited<ReturnType<typeof freshDatabase>> | null = null;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    a = await startStorefront({ key: 'kill-a-123456', products: N });
    b = await startStorefront({ key: 'kill-b-123456', products: [] });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-kill-'));
    if (kind === 'postgres') db = await freshDatabase('postgres');
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await a?.close();
    await b?.close();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('restarts on the same data and finishes the send with no duplicate on the storefront', async () => {
    // PostgreSQL: the killed hub's job is taken up once its lease expires (a short one here).
    const env = { CHANNELSYNC_DATA: dataDir, CHANNELSYNC_LEASE_SECONDS: '3', ...(db?.url ? { DATABASE_URL: db.url } : { CHANNELSYNC_TEST_SNAPSHOT: await pgliteSnapshotFile() }) };
    const first = await startHubProcess(env);
    children.push(first.child);
    const connect = async (name: string, shop: Storefront, settings?: unknown) => (await first.api('POST', '/api/connections', {
      name, kind: 'custom', config: { productsUrl: shop.productsUrl, ordersUrl: shop.ordersUrl, key: shop.key, retryBaseMs: 5 }, settings,
    })).body;
    const A = await connect('Source', a);
    const B = await connect('Target', b, { absorb: { products: true } });
    const fetched = await first.waitJob((await first.api('POST', `/api/connections/${A.id}/fetch`)).body.jobId);
    expect(fetched.state).toBe('completed');

    b.setFaults({ delayMs: 60 });
    const sendId = (await first.api('POST', `/api/connections/${B.id}/send`)).body.jobId;
    await until('some creates to land', () => b.products.size >= 25);
    first.child.kill('SIGKILL');
    await first.exited;
    const landed = b.products.size;
    expect(landed).toBeLessThan(N);
    // Let creates already on the wire land, as a real store would finish them.
    let last = -1;
    await until('the storefront to settle', async () => {
      const now = b.products.size;
      const settled = now === last;
      last = now;
      await new Promise((r) => setTimeout(r, 200));
      return settled;
    });
    b.setFaults({});
    if (kind === 'pglite') {
      // The killed process left its lock: a dead pid, which the next start takes over.
      expect(fs.readFileSync(path.join(dataDir, 'channelsync.lock'), 'utf8').split(' ')[0]).toBe(String(first.child.pid));
    }

    const second = await startHubProcess(env);
    children.push(second.child);
    if (kind === 'pglite') expect(fs.readFileSync(path.join(dataDir, 'channelsync.lock'), 'utf8').split(' ')[0]).toBe(String(second.child.pid));
    let resent;
    if (kind === 'pglite') {
      // The embedded database had one process: its job ended with it, and is started again by hand.
      const killed = (await second.api('GET', `/api/jobs/${sendId}`)).body;
      expect(killed.state).toBe('failed');
      resent = await second.waitJob((await second.api('POST', `/api/connections/${B.id}/send`)).body.jobId);
    } else {
      // PostgreSQL: the job of the dead process is queued again and a live worker finishes it.
      resent = await second.waitJob(sendId);
      expect(resent.attempts).toBe(2);
    }
    expect(resent.state).toBe('completed');
    expect(resent.summary.send.failed).toBe(0);
    expect(resent.summary.send.recovered).toBeGreaterThan(0);
    expect(resent.summary.send.recovered + resent.summary.send.created).toBeLessThanOrEqual(N);

    expect(b.products.size).toBe(N);
    const skus = skuCounts(b);
    expect([...skus.values()].every((n) => n === 1)).toBe(true);
    expect([...skus.keys()].sort()).toEqual([...a.products.values()].map((p) => p.sku).sort());
    const creates = createsBySku(b);
    expect(creates.size).toBe(N);
    expect([...creates.values()].every((n) => n === 1)).toBe(true);
    const conn = (await second.api('GET', `/api/connections/${B.id}`)).body;
    expect(conn.equivalences).toEqual({ live: N });
    expect(conn.pending.total).toBe(0);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    if (kind === 'pglite') expect(fs.existsSync(path.join(dataDir, 'channelsync.lock'))).toBe(false);
  });
});
