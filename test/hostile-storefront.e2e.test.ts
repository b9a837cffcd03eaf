import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASES, freshDatabase, pgliteSnapshotFile, type DbKind } from './helpers/hub.js';
import { killHub, startHubProcess, type HubProcess } from './helpers/hub-process.js';
import { startStorefront } from '../src/storefront/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A "store" that answers every request with HTTP 400 and this body. */
async function hostileStore(body: string, contentType = 'text/plain'): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(400, { 'content-type': contentType });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

async function hubOn(kind: DbKind, cleanup: (() => Promise<unknown>)[]): Promise<HubProcess> {
  const db = await freshDatabase(kind);
  cleanup.push(() => db.drop());
  const env: Record<string, string> = { CHANNELSYNC_SCHEDULER: 'off', CHANNELSYNC_WORKERS: '2' };
  if (db.url) env.DATABASE_URL = db.url;
  else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-hostile-'));
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    Object.assign(env, { DATABASE_URL: '', CHANNELSYNC_DATA: dir, CHANNELSYNC_TEST_SNAPSHOT: await pgliteSnapshotFile() });
  }
  const hub = await startHubProcess(env);
  cleanup.push(() => killHub(hub));
  return hub;
}

describe.each(DATABASES)('a hostile storefront cannot end the hub (%s)', (kind) => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.reverse()) await f().catch(() => undefined);
    cleanup.length = 0;
  });

  it('an HTTP 400 whose body holds NUL bytes fails the job with a short sentence; the hub and other connections go on', async () => {
    // A NUL in the text, a huge body, and a JSON message with NUL and control characters.
    const plain = await hostileStore(`bad\u0000request\u0007 ${'x'.repeat(100_000)}`);
    const json = await hostileStore(JSON.stringify({ message: `no\u0000pe\u001b[31m ${'y'.repeat(5000)}` }), 'application/json');
    const good = await startStorefront({ key: 'hostile-good-key-01', products: 5 });
    cleanup.push(() => plain.close(), () => json.close(), () => good.close());
    const hub = await hubOn(kind, cleanup);

    const connect = async (name: string, base: string, key: string, paths = { p: '/p', o: '/o' }) => {
      const res = await hub.api('POST', '/api/connections', {
        name, kind: 'custom', config: { productsUrl: base + paths.p, ordersUrl: base + paths.o, key, retries: 0 },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    };
    const bad1 = await connect('Hostile plain', plain.url, 'hostile-key-0001');
    const bad2 = await connect('Hostile json', json.url, 'hostile-key-0002');
    const ok = await connect('Good', good.url, 'hostile-good-key-01', { p: '/api/product', o: '/api/order' });

    for (const id of [bad1, bad2]) {
      // Twice: a scheduled run comes back, and must not end the hub either.
      for (let round = 0; round < 2; round++) {
        const started = await hub.api('POST', `/api/connections/${id}/fetch`);
        expect(started.status).toBe(202);
        const job = await hub.waitJob(started.body.jobId, 30_000);
        expect(job.state).toBe('failed');
        expect(job.error).toMatch(/^The store rejected the request \(HTTP 400\): /);
        expect(job.error).not.toMatch(/[\u0000-\u001f]/);
        expect(job.error.length).toBeLessThanOrEqual(500);
        expect(job.error).not.toContain('Failed query');
      }
    }
    expect(hub.child.exitCode).toBeNull();
    const job = await hub.waitJob((await hub.api('POST', `/api/connections/${ok}/fetch`)).body.jobId, 30_000);
    expect(job.state).toBe('completed');
    expect(job.summary.fetch.created).toBe(5);
    expect(hub.child.exitCode).toBeNull();
  }, 120_000);
});

describe('the process guard of start, worker and demo', () => {
  it('logs a rejection nobody handles and an uncaught exception, and keeps the process running', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/fixtures/guard-process.ts')], {
      cwd: ROOT, encoding: 'utf8', timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('ALIVE');
    expect(run.stderr).toContain('unhandled rejection');
    expect(run.stderr).toContain('a timer callback that throws');
  }, 40_000);

  it('is installed by the start, worker and demo commands', () => {
    const cli = fs.readFileSync(path.join(ROOT, 'src/cli.ts'), 'utf8');
    expect(cli).toMatch(/\['start', 'worker', 'demo'\]\.includes\(cmd\.name\(\)\)\) installProcessGuard\(\)/);
  });
});
