import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { Reach, defaultImportDir, reachOf, type LookupAll } from '../src/connectors/reach.js';
import { redactUrl } from '../src/connectors/redact.js';
import { ConnectorError } from '../src/connectors/types.js';
import { getConnectorDefinition } from '../src/connectors/registry.js';

/** What one request brought: method, url, headers and body as text. */
interface Seen { method: string; url: string; host: string; headers: Record<string, unknown>; body: string }

/**
 * An HTTP server on loopback that records every request. `answer` decides the reply
 * (default 404 with a JSON body); a `/redirect?to=` path answers 302 to `to`.
 */
async function startRecorder(answer?: (req: IncomingMessage, body: string) => { status: number; headers?: Record<string, string>; body?: string }) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, host: String(req.headers.host), headers: req.headers, body });
      const to = new URL(req.url!, 'http://x').searchParams.get('to');
      if (req.url!.startsWith('/redirect') && to) {
        res.writeHead(302, { location: to }).end();
        return;
      }
      const a = answer?.(req, body) ?? { status: 404, headers: { 'content-type': 'application/json' }, body: '{"message":"nothing here"}' };
      res.writeHead(a.status, a.headers ?? {}).end(a.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, port, seen,
    /** Every request as one text, with HTTP Basic credentials decoded: to search for a secret. */
    text: () => seen.map((s) => {
      const auth = String(s.headers.authorization ?? '');
      const basic = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : '';
      return `${s.method} ${s.url}\n${JSON.stringify(s.headers)}\n${basic}\n${s.body}`;
    }).join('\n'),
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}
type Recorder = Awaited<ReturnType<typeof startRecorder>>;

const log = pino({ level: 'silent' });

/** A connector of `kind` built directly, under a given policy, for its cheap check call. */
async function checkWith(kind: string, config: Record<string, unknown>, reach: Reach) {
  const def = getConnectorDefinition(kind)!;
  const parsed = def.configSchema.parse(def.prepareConfig ? def.prepareConfig(config) : config);
  const connector = def.create(parsed, { log, signal: new AbortController().signal, reach });
  return connector.check();
}

/** A config of each connector kind pointing at `base`, with no retries. */
function configAt(kind: string, base: string): Record<string, unknown> {
  switch (kind) {
    case 'custom': return { productsUrl: `${base}/products`, ordersUrl: `${base}/orders`, key: 'store-key-0001', retries: 0 };
    case 'shopify': return { shopUrl: base, accessToken: 'shpat_0123456789', retries: 0 };
    case 'woocommerce': return { storeUrl: base, consumerKey: 'ck_0001', consumerSecret: 'cs_0001', retries: 0 };
    case 'vendure': return { adminApiUrl: `${base}/admin-api`, username: 'sync', password: 'pw-0001', retries: 0 };
    default: return { source: `${base}/feed.csv`, retries: 0 };
  }
}
const KINDS = ['custom', 'shopify', 'woocommerce', 'vendure', 'feed'];

describe('what a connection may reach: addresses', () => {
  it('the policy: link-local, metadata, unspecified, multicast and broadcast always refused, in every IPv6 form; private and loopback only when allowed', () => {
    const strict = new Reach({ allowPrivate: false });
    const open = new Reach({ allowPrivate: true });
    const always = ['169.254.169.254', '169.254.0.1', 'fe80::1', 'fd00:ec2::254', '100.100.100.200', '0.0.0.0', '0.1.2.3', '::',
      '224.0.0.1', 'ff02::1', '255.255.255.255', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '[::ffff:169.254.169.254]',
      '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::1', '::169.254.169.254', '::ffff:0.0.0.0', '240.0.0.1'];
    for (const a of always) {
      expect(strict.refusal(a, 80), a).toMatchObject({ always: true });
      expect(open.refusal(a, 80), a).toMatchObject({ always: true });
    }
    const privateOnes = ['127.0.0.1', '127.1.2.3', '::1', '10.0.0.5', '172.16.3.4', '172.31.255.255', '192.168.1.1', '100.64.0.1',
      'fc00::1', 'fd12:3456::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:7f00:1', '64:ff9b::7f00:1'];
    for (const a of privateOnes) {
      expect(strict.refusal(a, 80), a).toMatchObject({ always: false });
      expect(open.refusal(a, 80), a).toBeNull();
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '172.32.0.1', '::ffff:8.8.8.8']) {
      expect(strict.refusal(a, 443), a).toBeNull();
    }
    // The hub's own API: its port on this machine, even with private targets allowed.
    open.addSelf('0.0.0.0', 8080);
    expect(open.refusal('127.0.0.1', 8080)).toMatchObject({ always: true, why: expect.stringMatching(/hub's own API/) });
    expect(open.refusal('::1', 8080)).toMatchObject({ always: true });
    expect(open.refusal('::ffff:127.0.0.1', 8080)).toMatchObject({ always: true });
    expect(open.refusal('127.0.0.1', 8081)).toBeNull();
  });

  describe('every connector goes through it', () => {
    let server: Recorder;
    beforeAll(async () => { server = await startRecorder(); });
    afterAll(async () => { await server?.close(); });

    it.each(KINDS)('%s: a loopback address is refused without CHANNELSYNC_ALLOW_PRIVATE_TARGETS (no request leaves), reached with it', async (kind) => {
      const before = server.seen.length;
      const refused = await checkWith(kind, configAt(kind, server.url), new Reach({ allowPrivate: false }));
      expect(refused.ok).toBe(false);
      const error = (refused as { error: ConnectorError }).error;
      expect(error.kind).toBe('config');
      expect(error.message).toMatch(/The hub does not connect to 127\.0\.0\.1, port \d+: it is this machine \(loopback\)\. .*CHANNELSYNC_ALLOW_PRIVATE_TARGETS=1/);
      expect(server.seen.length).toBe(before);

      await checkWith(kind, configAt(kind, server.url), new Reach({ allowPrivate: true }));
      expect(server.seen.length).toBeGreaterThan(before);
    });

    it.each(KINDS)('%s: a host name that resolves to a link-local or metadata address is refused, even with private targets allowed', async (kind) => {
      const names: Record<string, string> = { 'metadata.test': '169.254.169.254', 'mapped.test': '::ffff:169.254.169.254', 'ec2v6.test': 'fd00:ec2::254' };
      const lookup: LookupAll = async (host) => (names[host] ? [{ address: names[host], family: names[host].includes(':') ? 6 : 4 }] : []);
      const reach = new Reach({ allowPrivate: true, lookup });
      for (const [host, address] of Object.entries(names)) {
        const result = await checkWith(kind, configAt(kind, `http://${host}:${server.port}`), reach);
        expect(result.ok).toBe(false);
        const error = (result as { error: ConnectorError }).error;
        expect(error.kind).toBe('config');
        expect(error.message).toContain(`does not connect to ${host} (${address})`);
        expect(error.message).toMatch(/always refused/);
      }
      // Numeric spellings of the metadata address are the same address.
      for (const spelled of ['2852039166', '0xa9fea9fe', '0251.0376.0251.0376', '[::ffff:a9fe:a9fe]']) {
        const result = await checkWith(kind, configAt(kind, `http://${spelled}:${server.port}`), reach);
        expect((result as { error: ConnectorError }).error.message, spelled).toMatch(/does not connect to .*(169\.254\.169\.254|a9fe:a9fe).*link-local/);
      }
      // A name that resolves to nothing is not reached (and never falls back to localhost).
      const nowhere = await checkWith(kind, configAt(kind, `http://nowhere.test:${server.port}`), reach);
      expect(nowhere.ok).toBe(false);
      // `localhost` resolves to loopback: refused when private targets are not allowed.
      const local = await checkWith(kind, configAt(kind, `http://localhost:${server.port}`), new Reach({ allowPrivate: false }));
      expect((local as { error: ConnectorError }).error.message).toMatch(/does not connect to localhost \((127\.0\.0\.1|::1)\)/);
    });

    it('connects to the address it checked, under the name asked for (Host header kept)', async () => {
      const lookup: LookupAll = async (host) => (host === 'shop.test' ? [{ address: '127.0.0.1', family: 4 }] : []);
      const before = server.seen.length;
      await checkWith('custom', configAt('custom', `http://shop.test:${server.port}`), new Reach({ allowPrivate: true, lookup }));
      expect(server.seen.slice(before).map((s) => s.host)).toContain(`shop.test:${server.port}`);
    });

    it('a feed redirect is followed only through the same check: to the metadata address it is refused', async () => {
      const ok = await startRecorder(() => ({ status: 200, headers: { 'content-type': 'text/csv' }, body: 'sku\nA\n' }));
      try {
        const reach = new Reach({ allowPrivate: true });
        const followed = await checkWith('feed', { source: `${server.url}/redirect?to=${encodeURIComponent(`${ok.url}/feed.csv`)}`, columns: { sku: 'sku' }, retries: 0 }, reach);
        expect(followed).toEqual({ ok: true });
        expect(ok.seen.map((s) => s.url)).toEqual(['/feed.csv']);

        const started = Date.now();
        const refused = await checkWith('feed', { source: `${server.url}/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/iam/')}`, retries: 2 }, reach);
        expect(refused.ok).toBe(false);
        const error = (refused as { error: ConnectorError }).error;
        expect(error.kind).toBe('config');
        expect(error.message).toMatch(/does not connect to 169\.254\.169\.254, port 80: it is a link-local address.*always refused/);
        expect(Date.now() - started).toBeLessThan(5_000); // refused, not retried or timed out
      } finally {
        await ok.close();
      }
    });

    it('the store connectors do not follow redirects: a 3xx is an error, the redirect target is never asked', async () => {
      const target = await startRecorder();
      try {
        const reach = new Reach({ allowPrivate: true });
        for (const kind of ['custom', 'shopify', 'woocommerce', 'vendure']) {
          const redirecting = await startRecorder(() => ({ status: 302, headers: { location: `${target.url}/elsewhere` } }));
          const result = await checkWith(kind, configAt(kind, redirecting.url), reach);
          await redirecting.close();
          expect(result.ok, kind).toBe(false);
        }
        expect(target.seen).toEqual([]);
      } finally {
        await target.close();
      }
    });
  });
});

describe('what a connection may reach: the hub itself and private storefronts (whole hub)', () => {
  let strict: TestHub;
  let open: TestHub;
  let shop: Storefront;
  let feedServer: Recorder;
  beforeAll(async () => {
    strict = await startTestHub('pglite', { allowPrivateTargets: false });
    open = await startTestHub('pglite', { allowPrivateTargets: true });
    shop = await startStorefront({ key: 'reach-test-key-01', products: 3 });
    feedServer = await startRecorder();
  });
  afterAll(async () => {
    await strict?.close();
    await open?.close();
    await shop?.close();
    await feedServer?.close();
  });

  const storeConfig = () => ({ productsUrl: shop.productsUrl, ordersUrl: shop.ordersUrl, key: shop.key, retries: 0 });

  it('a storefront on 127.0.0.1: refused when saved (an IP address) or when fetching (a name), saying how to allow it; with private targets allowed it imports', async () => {
    const literal = await strict.api('POST', '/api/connections', { name: 'Local shop', kind: 'custom', config: storeConfig() });
    expect(literal.status).toBe(400);
    expect(literal.body.error.field).toBe('config.productsUrl');
    expect(literal.body.error.message).toMatch(/^config\.productsUrl: The hub does not connect to 127\.0\.0\.1, port \d+: it is this machine \(loopback\)\..*CHANNELSYNC_ALLOW_PRIVATE_TARGETS=1/);
    const metadata = await open.api('POST', '/api/connections', { name: 'Metadata', kind: 'shopify', config: { shopUrl: 'http://169.254.169.254', accessToken: 'shpat_0123456789' } });
    expect(metadata.status).toBe(400);
    expect(metadata.body.error.message).toMatch(/^config\.shopUrl: The hub does not connect to 169\.254\.169\.254, port 80: it is a link-local address.*always refused/);

    const byName = { ...storeConfig(), productsUrl: shop.productsUrl.replace('127.0.0.1', 'localhost'), ordersUrl: shop.ordersUrl.replace('127.0.0.1', 'localhost') };
    const refused = (await strict.api('POST', '/api/connections', { name: 'Local shop', kind: 'custom', config: byName })).body;
    const job = await strict.run('fetch', refused.id);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/The hub does not connect to localhost \((127\.0\.0\.1|::1)\), port \d+: it is this machine \(loopback\)\..*CHANNELSYNC_ALLOW_PRIVATE_TARGETS=1/);
    expect(await allProducts(strict)).toEqual([]);

    const allowed = (await open.api('POST', '/api/connections', { name: 'Local shop', kind: 'custom', config: storeConfig() })).body;
    const ok = await open.run('fetch', allowed.id);
    expect(ok.state).toBe('completed');
    expect((await allProducts(open)).length).toBe(3);
  });

  it("the hub's own API is refused even with private targets allowed, directly or through a redirect", async () => {
    const port = new URL(open.url).port;
    const self = (base: string) => open.api('POST', '/api/connections', {
      name: `Self ${base}`, kind: 'custom', config: { productsUrl: `${base}/api/connections`, ordersUrl: `${base}/api/orders`, key: 'self-key-0001', retries: 0 },
    });
    const literal = await self(open.url);
    expect(literal.status).toBe(400);
    expect(literal.body.error.message).toMatch(new RegExp(`does not connect to 127\\.0\\.0\\.1, port ${port}: it is this hub's own API`));
    const c = (await self(`http://localhost:${port}`)).body;
    const fetched = await open.run('fetch', c.id);
    expect(fetched.state).toBe('failed');
    expect(fetched.error).toMatch(new RegExp(`does not connect to localhost .*port ${port}: it is this hub's own API`));
    const viaRedirect = (await open.api('POST', '/api/connections', {
      name: 'Self via redirect', kind: 'feed', config: { source: `${feedServer.url}/redirect?to=${encodeURIComponent(`${open.url}/api/connections`)}`, retries: 0 },
    })).body;
    const job = await open.run('fetch', viaRedirect.id);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/this hub's own API/);
  });
});

describe('what a connection may reach: local files', () => {
  let hub: TestHub;
  let data: string;
  let imports: string;
  let outside: string;
  const SECRET = 'TOPSECRET-do-not-leak-7f3a';
  beforeAll(async () => {
    data = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-reach-data-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-reach-outside-'));
    // The data folder's own key file, as SecretBox writes it (present whatever CHANNELSYNC_SECRET says).
    fs.writeFileSync(path.join(data, 'secret.key'), SECRET);
    fs.writeFileSync(path.join(outside, 'stolen.csv'), `sku,title\n${SECRET},x\n`);
    hub = await startTestHub('pglite', { dataDir: data });
    imports = path.join(data, 'imports');
  });
  afterAll(async () => {
    await hub?.close();
    fs.rmSync(data, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  const create = (name: string, config: Record<string, unknown>) => hub.api('POST', '/api/connections', { name, kind: 'feed', config: { retryBaseMs: 5, ...config } });

  it('the import folder is CHANNELSYNC_IMPORT_DIR, else <CHANNELSYNC_DATA>/imports (made at start), else ./data/imports', () => {
    expect(reachOf(hub.running.hub).importDir).toBe(imports);
    expect(fs.statSync(imports).isDirectory()).toBe(true);
    expect(defaultImportDir({ CHANNELSYNC_IMPORT_DIR: '/srv/feeds' })).toBe('/srv/feeds');
    expect(defaultImportDir({ CHANNELSYNC_DATA: '/var/lib/cs' })).toBe('/var/lib/cs/imports');
    expect(defaultImportDir({ DATABASE_URL: 'postgres://x/y' })).toBe(path.resolve('data/imports'));
    expect(defaultImportDir({}, 'memory://')).toBe(path.resolve('data/imports'));
  });

  it('a file outside the import folder is refused when the connection is saved: /etc/passwd, the data folder\'s secret.key, /proc/self/environ, ../, a symlink out', async () => {
    fs.symlinkSync(path.join(data, 'secret.key'), path.join(imports, 'link.csv'));
    const sources = ['/etc/passwd', path.join(data, 'secret.key'), '../secret.key', '/proc/self/environ', `${imports}/../secret.key`, 'link.csv', 'file:///etc/passwd'];
    for (const source of sources) {
      const res = await create(`Bad ${source}`, { source });
      expect(res.status, source).toBe(400);
      expect(res.body.error.field, source).toBe('config.source');
      if (source !== 'file:///etc/passwd') {
        expect(res.body.error.message, source).toBe(
          `config.source: The feed file ${source} is outside the import folder: feed files are read only from ${imports}; put the file there or set CHANNELSYNC_IMPORT_DIR.`);
      }
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
    }
    const list = (await hub.api('GET', '/api/connections')).body.items;
    expect(list.filter((c: any) => c.name.startsWith('Bad '))).toEqual([]);
  });

  it('a file in the import folder imports, named relative to it; editing its source to a file outside is refused', async () => {
    fs.mkdirSync(path.join(imports, 'erp'), { recursive: true });
    fs.writeFileSync(path.join(imports, 'erp', 'catalog.csv'), 'sku,title\nLAMP,Desk Lamp\n');
    const res = await create('Catalog', { source: 'erp/catalog.csv', columns: { sku: 'sku', title: 'title' } });
    expect(res.status).toBe(201);
    const job = await hub.run('fetch', res.body.id);
    expect(job.state).toBe('completed');
    expect((await allProducts(hub)).map((p) => p.sku)).toContain('LAMP');

    const edit = await hub.api('PATCH', `/api/connections/${res.body.id}`, { config: { source: '/etc/passwd' } });
    expect(edit.status).toBe(400);
    expect(edit.body.error).toMatchObject({ field: 'config.source', message: expect.stringContaining(`feed files are read only from ${imports}`) });
    expect((await hub.api('GET', `/api/connections/${res.body.id}`)).body.config.source).toBe('erp/catalog.csv');
  });

  it('a file swapped for a symlink out of the folder after it was saved is refused at read time, and nothing of it reaches the job', async () => {
    const file = path.join(imports, 'swap.csv');
    fs.writeFileSync(file, 'sku,title\nCUP,Cup\n');
    const res = await create('Swapped', { source: 'swap.csv', columns: { sku: 'sku', title: 'title' } });
    expect(res.status).toBe(201);
    for (const target of [path.join(outside, 'stolen.csv'), path.join(data, 'secret.key')]) {
      fs.rmSync(file);
      fs.symlinkSync(target, file);
      const job = await hub.run('fetch', res.body.id);
      expect(job.state).toBe('failed');
      expect(job.error).toBe(`The feed file swap.csv is outside the import folder: feed files are read only from ${imports}; put the file there or set CHANNELSYNC_IMPORT_DIR.`);
      expect(JSON.stringify(job)).not.toContain(SECRET);
      expect(JSON.stringify((await hub.api('GET', `/api/issues?connectionId=${res.body.id}`)).body)).not.toContain(SECRET);
    }
    expect((await allProducts(hub)).map((p) => p.sku)).not.toContain(SECRET);
  });

  it('the data folder (secret.key, database) and /proc, /sys, /dev are never a feed, even inside the import folder', async () => {
    const data2 = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-reach-data2-'));
    fs.writeFileSync(path.join(data2, 'secret.key'), SECRET);
    // An operator sets the import folder to the data folder itself.
    const hub2 = await startTestHub('pglite', { dataDir: data2, importDir: data2 });
    try {
      for (const source of ['secret.key', path.join(data2, 'secret.key'), 'pgdata/PG_VERSION']) {
        const res = await hub2.api('POST', '/api/connections', { name: `Data ${source}`, kind: 'feed', config: { source } });
        expect(res.status, source).toBe(400);
        expect(res.body.error.message).toContain(`feed files are read only from ${data2}`);
      }
    } finally {
      await hub2.close();
      fs.rmSync(data2, { recursive: true, force: true });
    }
    const everything = new Reach({ importDir: '/' });
    for (const source of ['/proc/self/environ', 'proc/self/environ', '/sys/kernel/hostname', '/dev/zero']) {
      await expect(everything.importPath(source), source).rejects.toThrow(/feed files are read only from \//);
    }
  });

  it('a file the feed cannot parse: the job error says where, never what the file holds', async () => {
    fs.writeFileSync(path.join(imports, 'broken.json'), `${SECRET} is not JSON`);
    const res = await create('Broken JSON', { source: 'broken.json' });
    const job = await hub.run('fetch', res.body.id);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/The feed at broken\.json is not valid JSON/);
    expect(JSON.stringify(job)).not.toContain('TOPSECRET');

    fs.writeFileSync(path.join(imports, 'quotes.csv'), `sku,title\nA,"${SECRET}\n`);
    const csv = await create('Broken CSV', { source: 'quotes.csv' });
    const csvJob = await hub.run('fetch', csv.body.id);
    expect(JSON.stringify(csvJob)).not.toContain('TOPSECRET');
    expect(JSON.stringify((await hub.api('GET', `/api/issues?connectionId=${csv.body.id}`)).body)).not.toContain('TOPSECRET');
  });
});

describe('secrets follow the address', () => {
  let hub: TestHub;
  let a: Recorder;
  let b: Recorder;
  beforeAll(async () => {
    hub = await startTestHub('pglite');
    a = await startRecorder();
    b = await startRecorder();
  });
  afterAll(async () => {
    await hub?.close();
    await a?.close();
    await b?.close();
  });

  const cases = [
    { kind: 'shopify', address: 'shopUrl', secret: 'accessToken', config: (base: string, s: string) => ({ shopUrl: base, accessToken: s, retries: 0 }), values: ['shpat_OLD_secret_0001', 'shpat_NEW_secret_0002'] },
    { kind: 'woocommerce', address: 'storeUrl', secret: 'consumerSecret', config: (base: string, s: string) => ({ storeUrl: base, consumerKey: 'ck_abc', consumerSecret: s, retries: 0 }), values: ['cs_OLD_secret_0001', 'cs_NEW_secret_0002'] },
    { kind: 'custom', address: 'productsUrl', secret: 'key', config: (base: string, s: string) => ({ productsUrl: `${base}/products`, ordersUrl: `${base}/orders`, key: s, retries: 0 }), values: ['OLD-store-key-0001', 'NEW-store-key-0002'] },
    { kind: 'vendure', address: 'adminApiUrl', secret: 'password', config: (base: string, s: string) => ({ adminApiUrl: `${base}/admin-api`, username: 'sync', password: s, retries: 0 }), values: ['OLD-password-0001', 'NEW-password-0002'] },
  ];

  it.each(cases)('$kind: changing the host without the secret is a 400 naming it; the stored secret never reaches the new host', async ({ kind, address, secret, config, values: [old, fresh] }) => {
    const created = await hub.api('POST', '/api/connections', { name: `Moving ${kind}`, kind, config: config(a.url, old) });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const moved = config(b.url, old);
    const { [secret]: _drop, ...withoutSecret } = moved as Record<string, unknown>;
    // Only the addresses (and other settings): the secret is not given again.
    const res = await hub.api('PATCH', `/api/connections/${id}`, { config: kind === 'custom' ? { productsUrl: withoutSecret.productsUrl, ordersUrl: withoutSecret.ordersUrl } : { [address]: withoutSecret[address] } });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(`config.${secret}`);
    expect(res.body.error.message).toMatch(new RegExp(`^config\\.${secret}: the address in config\\.${address} now points at another host .*give ${secret} again in the same request`));
    // Nothing changed: the connection still points at the old host.
    expect((await hub.api('GET', `/api/connections/${id}`)).body.config[address]).toBe((config(a.url, old) as Record<string, unknown>)[address]);
    await hub.run('fetch', id);
    expect(b.text()).not.toContain(old);

    // The same host, another path: no question asked.
    const samePath = kind === 'custom' ? { productsUrl: `${a.url}/v2/products` } : { [address]: `${String((config(a.url, old) as Record<string, unknown>)[address])}/` };
    expect((await hub.api('PATCH', `/api/connections/${id}`, { config: samePath })).status).toBe(200);

    // With the secret in the same request: moved, and only the new secret goes there.
    const ok = await hub.api('PATCH', `/api/connections/${id}`, { config: { ...(kind === 'custom' ? { productsUrl: withoutSecret.productsUrl, ordersUrl: withoutSecret.ordersUrl } : { [address]: withoutSecret[address] }), [secret]: fresh } });
    expect(ok.status).toBe(200);
    expect(JSON.stringify(ok.body)).not.toContain(old);
    const before = b.seen.length;
    await hub.run('fetch', id);
    expect(b.seen.length).toBeGreaterThan(before);
    expect(b.text()).toContain(fresh);
    expect(b.text()).not.toContain(old);
  });

  it('a credential in an address is refused with a 400 saying where it belongs', async () => {
    const bad = [
      { kind: 'shopify', config: { shopUrl: `${a.url}/?access_token=shpat_inurl_0001`, accessToken: 'shpat_0123456789' }, field: 'config.shopUrl', where: /put it in config\.accessToken/ },
      { kind: 'woocommerce', config: { storeUrl: `${a.url}/?consumer_key=ck_1&consumer_secret=cs_inurl`, consumerKey: 'ck_1', consumerSecret: 'cs_1' }, field: 'config.storeUrl', where: /consumer_secret=….*put it in config\.consumerSecret/ },
      { kind: 'woocommerce', config: { storeUrl: a.url.replace('http://', 'http://ck_1:cs_inurl@'), consumerKey: 'ck_1', consumerSecret: 'cs_1' }, field: 'config.storeUrl', where: /user name and password/ },
      { kind: 'custom', config: { productsUrl: `${a.url}/products?key=inurl-key-1`, ordersUrl: `${a.url}/orders`, key: 'store-key-0001' }, field: 'config.productsUrl', where: /put it in config\.key/ },
      { kind: 'vendure', config: { adminApiUrl: `${a.url}/admin-api?token=inurl-token`, username: 'u', password: 'p' }, field: 'config.adminApiUrl', where: /config\.password or config\.token/ },
    ];
    for (const c of bad) {
      const res = await hub.api('POST', '/api/connections', { name: `URL creds ${c.kind}`, kind: c.kind, config: c.config });
      expect(res.status, JSON.stringify(c.config)).toBe(400);
      expect(res.body.error.field).toBe(c.field);
      expect(res.body.error.message).toMatch(c.where);
      expect(JSON.stringify(res.body)).not.toMatch(/inurl/);
    }
  });

  it('a feed address with an access key: the key is moved to a secret field, never shown, sent only to that host and kept out of job errors', async () => {
    const res = await hub.api('POST', '/api/connections', { name: 'Keyed feed', kind: 'feed', config: { source: `${a.url}/stock.csv?token=feed-s3cret-77&page=1`, retries: 0 } });
    expect(res.status).toBe(201);
    expect(res.body.config.source).toBe(`${a.url}/stock.csv?page=1`);
    expect(res.body.config.sourceParams).toBe('********');
    const listed = JSON.stringify((await hub.api('GET', '/api/connections')).body);
    expect(listed).not.toContain('feed-s3cret-77');

    const before = a.seen.length;
    const job = await hub.run('fetch', res.body.id);
    expect(a.seen.slice(before).map((s) => s.url)).toEqual(['/stock.csv?page=1&token=feed-s3cret-77']);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/There is no feed at http:\/\/127\.0\.0\.1:\d+\/stock\.csv\?page=1/);
    expect(JSON.stringify(job)).not.toContain('feed-s3cret-77');

    const moved = await hub.api('PATCH', `/api/connections/${res.body.id}`, { config: { source: `${b.url}/stock.csv` } });
    expect(moved.status).toBe(400);
    expect(moved.body.error.field).toBe('config.sourceParams');
    const again = await hub.api('PATCH', `/api/connections/${res.body.id}`, { config: { source: `${b.url}/stock.csv?token=other-77` } });
    expect(again.status).toBe(200);
    await hub.run('fetch', res.body.id);
    expect(b.text()).toContain('token=other-77');
    expect(b.text()).not.toContain('feed-s3cret-77');
  });

  it('addresses in connector errors and logs carry no credentials', () => {
    expect(redactUrl('https://bob:pw@erp.example.com/x.csv?token=abc&page=2&consumer_secret=cs_1'))
      .toBe('https://***:***@erp.example.com/x.csv?token=***&page=2&consumer_secret=***');
    const err = new ConnectorError('transient', 'The hub could not reach the store at http://u:p@shop.example.com/api?access_token=zz1.', 'GET http://shop.example.com/p?key=zz2 -> 500');
    expect(err.message).toBe('The hub could not reach the store at http://***:***@shop.example.com/api?access_token=***.');
    expect(err.detail).toBe('GET http://shop.example.com/p?key=*** -> 500');
  });
});
