import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startStorefront, type Storefront } from '../src/storefront/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * What `npm start` runs on a fresh clone: the prestart step compiles src/ to dist/, then
 * node runs dist/cli.js on the embedded database. No TypeScript loader in that process.
 */
describe('npm start: the compiled hub', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-start-'));
  let store: Storefront | null = null;
  afterAll(async () => {
    await store?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('compiles, starts on the embedded database, and syncs a storefront', async () => {
    const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build-server.mjs')], { cwd: ROOT, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    expect(fs.existsSync(path.join(ROOT, 'dist/cli.js'))).toBe(true);
    // The embedded database's first run needs this file next to the compiled code.
    expect(fs.existsSync(path.join(ROOT, 'dist/db/initdb.mjs'))).toBe(true);

    // With the node flags of package.json's start script.
    const script: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
    const flags = /^node((?: --\S+)*) dist\/cli\.js start$/.exec(script)?.[1].split(' ').filter(Boolean);
    expect(flags, `package.json's start script: ${script}`).toBeDefined();
    const child = spawn(process.execPath, [...flags!, path.join(ROOT, 'dist/cli.js'), 'start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', CHANNELSYNC_DATA: dataDir, CHANNELSYNC_SCHEDULER: 'off', LOG_LEVEL: 'warn', DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout!.on('data', () => { const m = /channelsync is running on (\S+)/.exec(out); if (m) resolve(m[1]); });
        exited.then((code) => reject(new Error(`dist/cli.js start exited (${code}): ${out}`)));
      });
      expect(out).toContain('embedded database');

      store = await startStorefront({ key: 'start-test-key-0123', products: 25 });
      const created = await request(`${url}/api/connections`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Shop', kind: 'custom', config: { productsUrl: store.productsUrl, ordersUrl: store.ordersUrl, key: 'start-test-key-0123' } }),
      });
      expect(created.statusCode).toBe(201);
      const conn = await created.body.json() as { id: string };
      const started = await request(`${url}/api/connections/${conn.id}/fetch`, { method: 'POST' });
      const { jobId } = await started.body.json() as { jobId: string };
      let job: { state: string; summary?: { fetch?: { created: number } } } = { state: 'queued' };
      for (let i = 0; i < 300 && !['completed', 'failed', 'cancelled'].includes(job.state); i++) {
        await new Promise((r) => setTimeout(r, 100));
        job = await (await request(`${url}/api/jobs/${jobId}`)).body.json() as typeof job;
      }
      expect(job.state).toBe('completed');
      expect(job.summary?.fetch?.created).toBe(25);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 120_000);

  it('npx channelsync compiles what is stale and runs the compiled hub', () => {
    // A build older than the sources: the bin compiles again before it runs.
    const stamp = path.join(ROOT, 'dist/.built');
    const longAgo = new Date('2020-01-01T00:00:00Z');
    fs.utimesSync(stamp, longAgo, longAgo);
    const run = spawnSync(process.execPath, [path.join(ROOT, 'bin/channelsync.mjs'), '--version'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(fs.statSync(stamp).mtimeMs).toBeGreaterThan(longAgo.getTime());
  });
});
