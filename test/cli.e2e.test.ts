import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `npx channelsync …` against a running hub: the CLI is a client of the HTTP API (connections, jobs with a progress bar, tokens). */
describe('the channelsync CLI (pglite hub)', () => {
  let hub: TestHub;
  let a: Storefront;
  let b: Storefront;
  /** Runs the CLI as a user would, in a process of its own (not a TTY: the progress bar prints a line per change). */
  const cli = (...args: string[]) => new Promise<{ code: number; out: string; err: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), ...args],
      { cwd: ROOT, env: { ...process.env, CHANNELSYNC_TOKEN: '' }, timeout: 60_000 },
      (error, out, err) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out, err }));
  });

  beforeAll(async () => {
    hub = await startTestHub('pglite');
    a = await startStorefront({ key: 'cli-store-a-123456', products: 30 });
    b = await startStorefront({ key: 'cli-store-b-123456', products: [] });
  });
  afterAll(async () => {
    await hub?.close();
    await a?.close();
    await b?.close();
  });

  it('lists no connections on a new hub, and says so', async () => {
    const r = await cli('connections', 'list', '--url', hub.url);
    expect(r.code).toBe(0);
    expect(r.out).toContain('No connections yet');
  });

  it('adds connections, with the given key or a generated one, and lists them', async () => {
    const added = await cli('connections', 'add', '--url', hub.url, '--name', 'Webshop',
      '--products-url', a.productsUrl, '--orders-url', a.ordersUrl, '--key', a.key);
    expect(added.code, added.err).toBe(0);
    expect(added.out).toMatch(/^Added Webshop \([0-9a-f-]{36}\)\.$/m);
    expect(added.out).toContain(`Key for the store (X-Channelsync-Key): ${a.key}`);
    const market = await cli('connections', 'add', '--url', hub.url, '--name', 'Market',
      '--products-url', b.productsUrl, '--orders-url', b.ordersUrl, '--key', b.key, '--absorb-products');
    expect(market.code, market.err).toBe(0);
    // Without --key the hub makes one up, and the CLI prints it for the store's side.
    const spare = await cli('connections', 'add', '--url', hub.url, '--name', 'Spare', '--products-url', b.productsUrl, '--orders-url', b.ordersUrl);
    expect(spare.code, spare.err).toBe(0);
    const generated = /X-Channelsync-Key\): (\S+)/.exec(spare.out)?.[1];
    expect(generated && generated.length).toBeGreaterThanOrEqual(16);
    const conns = (await hub.api('GET', '/api/connections')).body.items;
    expect(conns.map((c: any) => [c.name, c.settings.absorb.products])).toEqual([['Webshop', false], ['Market', true], ['Spare', false]]);
    expect(generated).not.toBe(a.key);

    const listed = await cli('connections', 'list', '--url', hub.url);
    expect(listed.out).toMatch(/Webshop\s+custom\s+idle/);
    expect(listed.out).toMatch(/Market\s+custom\s+idle/);
  });

  it('fetches a connection by name with its progress, then syncs the other: every product created once', async () => {
    const fetched = await cli('fetch', 'webshop', '--url', hub.url);
    expect(fetched.code, fetched.err).toBe(0);
    expect(fetched.out).toMatch(/fetch Webshop {2}\[[█░·]{30}\]/);
    expect(fetched.out).toContain('completed');
    const summary = JSON.parse(fetched.out.slice(fetched.out.indexOf('{')));
    expect(summary.fetch).toMatchObject({ scanned: 30, created: 30 });

    const synced = await cli('sync', 'Market', '--url', hub.url);
    expect(synced.code, synced.err).toBe(0);
    expect(JSON.parse(synced.out.slice(synced.out.indexOf('{'))).send).toMatchObject({ created: 30 });
    expect(b.products.size).toBe(30);
    expect((await cli('connections', 'list', '--url', hub.url)).out).toMatch(/Market .*pending: 0 creates, 0 updates/);
  });

  it('names what is wrong: an unknown connection, a hub that is not there', async () => {
    const unknown = await cli('send', 'Nope', '--url', hub.url);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('No connection "Nope". Known: "Webshop", "Market", "Spare"');
    const away = await cli('connections', 'list', '--url', 'http://127.0.0.1:9');
    expect(away.code).toBe(1);
    expect(away.err).toContain('Cannot reach the hub at http://127.0.0.1:9');
    const jobs = await cli('worker', '--jobs', '0');
    expect(jobs.code).toBe(1);
    expect(jobs.err).toContain('--jobs must be a whole number of at least 1, got "0"');
  });

  it('creates the first token without one; from then on the CLI needs it', async () => {
    const created = await cli('token', 'create', '--name', 'ci', '--url', hub.url);
    expect(created.code, created.err).toBe(0);
    const token = created.out.trim();
    expect(token.length).toBeGreaterThan(20);
    expect(created.err).toContain('it is shown once');
    const refused = await cli('connections', 'list', '--url', hub.url);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/token/i);
    const allowed = await cli('connections', 'list', '--url', hub.url, '--token', token);
    expect(allowed.code, allowed.err).toBe(0);
    expect(allowed.out).toContain('Webshop');

    // list shows names and dates, never a secret; revoke takes a name or an id and works at once.
    const second = (await cli('token', 'create', '--name', 'deploy', '--url', hub.url, '--token', token)).out.trim();
    const listed = await cli('token', 'list', '--url', hub.url, '--token', token);
    expect(listed.code, listed.err).toBe(0);
    expect(listed.out).toMatch(/^[0-9a-f-]{36}\s+ci\s+created \S+\s+last used \d{4}-/m);
    expect(listed.out).toMatch(/^[0-9a-f-]{36}\s+deploy\s+created \S+\s+last used never$/m);
    expect(listed.out).not.toContain(token);
    expect(listed.out).not.toContain(second);
    const revoked = await cli('token', 'revoke', 'ci', '--url', hub.url, '--token', second);
    expect(revoked.code, revoked.err).toBe(0);
    expect(revoked.out).toMatch(/^Revoked ci \([0-9a-f-]{36}\)\.$/m);
    expect((await cli('connections', 'list', '--url', hub.url, '--token', token)).code).toBe(1);
    // The last token stays: without it the hub would be open again.
    const last = await cli('token', 'revoke', 'deploy', '--url', hub.url, '--token', second);
    expect(last.code).toBe(1);
    expect(last.err).toContain('last API token');
    const unknown = await cli('token', 'revoke', 'nope', '--url', hub.url, '--token', second);
    expect(unknown.err).toContain('No token "nope"');
  }, 240_000);
});

/** `npm run demo`: the hub plus two reference storefronts, connected; started again on the same data, nothing doubles. */
describe('channelsync demo (pglite)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-demo-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  /** Starts the demo; resolves with its URL once it says it is running, and a stop that waits for it to exit. */
  const startDemo = async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), 'demo', '--products', '20'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DEMO_SHOP_PORT: '0', DEMO_MARKET_PORT: '0', CHANNELSYNC_DATA: dataDir, CHANNELSYNC_SCHEDULER: 'off', LOG_LEVEL: 'warn', DATABASE_URL: '', CHANNELSYNC_TOKEN: '',
        // Not inherited from the test run: the demo itself lets its hub reach its storefronts on 127.0.0.1.
        CHANNELSYNC_ALLOW_PRIVATE_TARGETS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', () => { if (/Try:/.test(out)) resolve(/channelsync is running on (\S+)/.exec(out)![1]); });
      exited.then((code) => reject(new Error(`demo exited (${code}): ${out}`)));
    });
    return { url, out: () => out, stop: async () => { child.kill('SIGTERM'); return exited; } };
  };
  const api = async (url: string, method: string, p: string) => (await fetch(url + p, { method })).json() as Promise<any>;

  it('starts with both storefronts connected; a fetch of the webshop and a send to the marketplace copy every product once', async () => {
    const demo = await startDemo();
    try {
      expect(demo.out()).toContain('Demo storefronts are connected');
      const conns = (await api(demo.url, 'GET', '/api/connections')).items;
      expect(conns.map((c: any) => [c.name, c.settings.absorb.products])).toEqual([['Demo webshop', false], ['Demo marketplace', true]]);
      const shop = conns[0];
      const market = conns[1];
      const { jobId } = await api(demo.url, 'POST', `/api/connections/${shop.id}/fetch`);
      for (let i = 0; i < 300 && (await api(demo.url, 'GET', `/api/jobs/${jobId}`)).state !== 'completed'; i++) await new Promise((r) => setTimeout(r, 100));
      const sent = await api(demo.url, 'POST', `/api/connections/${market.id}/send`);
      let job: any = {};
      for (let i = 0; i < 300 && !['completed', 'failed'].includes(job.state); i++) {
        await new Promise((r) => setTimeout(r, 100));
        job = await api(demo.url, 'GET', `/api/jobs/${sent.jobId}`);
      }
      expect(job.state).toBe('completed');
      expect(job.summary.send).toMatchObject({ created: 20, failed: 0 });
    } finally {
      expect(await demo.stop()).toBe(0);
    }
    // Again on the same data: the storefronts get new ports, the connections are updated, not added again.
    const again = await startDemo();
    try {
      const conns = (await api(again.url, 'GET', '/api/connections')).items;
      expect(conns.map((c: any) => c.name)).toEqual(['Demo webshop', 'Demo marketplace']);
      expect(conns[1].equivalences).toEqual({ live: 20 });
    } finally {
      expect(await again.stop()).toBe(0);
    }
  }, 120_000);
});
