import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { startHub } from '../src/app.js';
import { TOKEN_CACHE_MS } from '../src/http/auth.js';
import pino from 'pino';
import { freshDatabase } from './helpers/hub.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'access-admin-token-0123456789';
const KEY = 'access-store-key-0123456789';

interface RawAnswer { status: number; headers: string; body: string }

/** One request written byte for byte on a socket: the request target goes out exactly as given. */
function raw(url: string, target: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  const headers: Record<string, string> = { host: `${hostname}:${port}`, connection: 'close', ...opts.headers };
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
  const head = `${opts.method ?? 'GET'} ${target} HTTP/1.1\r\n${Object.entries(headers).filter(([, v]) => v !== '').map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!m) return reject(new Error(`no HTTP answer to ${target}: ${JSON.stringify(text.slice(0, 200))}`));
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(m[1]), headers: text.slice(0, split), body: text.slice(split + 4) });
    });
    socket.write(head + (opts.body ?? ''));
  });
}

/** Request targets that all spell (or try to reach) /api/connections. */
const SPELLINGS = [
  '/api/connections',
  '/%61pi/connections', '/%41PI/connections', '/api/%63onnections', '/%61%70%69/%63%6f%6e%6e%65%63%74%69%6f%6e%73',
  '/%2Fapi/connections', '/%2fapi%2fconnections', '/api%2Fconnections', '/api%2fconnections',
  '/%2e/api/connections', '/api/%2e/connections', '/api/%2E%2E/api/connections', '/x/%2e%2e/api/connections',
  '//api/connections', '///api/connections', '/api//connections',
  '/x/../api/connections', '/api/./connections', '/./api/connections', '/api/x/../connections',
  'http://x/api/connections', 'http://127.0.0.1/api/connections', 'HTTP://X/api/connections', 'http://x//api/connections',
  'http://x/%61pi/connections',
  '/API/connections', '/Api/Connections', '/api/CONNECTIONS',
  '/api./connections', '/api/connections.', '/api/connections/', '/api/connections//', '/api/connections%20',
  '/api/connections;', '/api/connections;x=1', '/api;/connections', '/api;x=1/connections',
  '/api\\connections', '\\api\\connections', '/api%5Cconnections', '/%5Capi/connections',
  '/api/connections?', '/api/connections#x', '/api/connections?token=' + TOKEN, '/api/connections%3F',
  '/api/connections%00', '/api/%00connections',
  '/api/tokens', '/%61pi/tokens', '//api/tokens',
  '/api/events?token=' + TOKEN, '/%61pi/events?token=' + TOKEN, '/api/events?ticket=' + TOKEN,
  '/api/openapi.json', '/%61pi/openapi.json', '//api/openapi.json',
  '/api/no-such-route', '/api', '/api/', '/%61pi', '/api/health/../connections', '/api/health/%2e%2e/connections',
];

describe.each(DATABASES)('access to the API (%s)', (kind) => {
  describe('with a token', () => {
    let hub: TestHub;
    let store: Storefront;
    let conn: { id: string };
    const api = (method: string, path: string, body?: unknown, token: string | undefined = TOKEN) => hub.api(method, path, body, token);

    beforeAll(async () => {
      hub = await startTestHub(kind, { adminToken: TOKEN });
      store = await startStorefront({ key: KEY, products: 2 });
      conn = (await api('POST', '/api/connections', { name: 'Secret shop', kind: 'custom', config: { productsUrl: store.productsUrl, ordersUrl: store.ordersUrl, key: KEY } })).body;
      expect(conn.id).toMatch(/^[0-9a-f-]{36}$/);
    });
    afterAll(async () => {
      await hub?.close();
      await store?.close();
    });

    it('answers every spelling of an API address without a token with 401 or 404, never with data', async () => {
      const seen: [string, number][] = [];
      for (const method of ['GET', 'HEAD']) {
        for (const target of [...SPELLINGS, `/api/connections/${conn.id}`, `/%61pi/connections/${conn.id}`, `//api/connections/${conn.id}`,
          `/api/connections/${conn.id.toUpperCase()}`, `/api/connections/${conn.id}/`, `/api/connections/${encodeURIComponent(conn.id).replace(/-/g, '%2D')}`]) {
          const res = await raw(hub.url, target, { method });
          seen.push([`${method} ${target}`, res.status]);
          // 400: Node's HTTP parser refuses the target itself (a backslash), before any route is chosen.
          const refusedByParser = res.status === 400 && (method === 'HEAD' || res.body.includes('"Client Error"'));
          expect([`${method} ${target}`, [401, 404].includes(res.status) || refusedByParser]).toEqual([`${method} ${target}`, true]);
          expect(res.body).not.toContain(KEY);
          expect(res.body).not.toContain('Secret shop');
        }
      }
      // The checks reach real routes: most spellings are refused by the token check, not by luck of routing.
      expect(seen.filter(([, s]) => s === 401).length).toBeGreaterThan(20);
      // With the token, the plain address answers the data (the table above is not refusing everything).
      const ok = await raw(hub.url, '/%61pi/connections', { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(ok.body).toContain(KEY);
    });

    it('refuses state-changing requests by any spelling without the token', async () => {
      for (const target of [`/%61pi/connections/${conn.id}/pause`, `//api/connections/${conn.id}/pause`, `http://x/api/connections/${conn.id}/pause`,
        `/api/connections/${conn.id}/./pause`, `/API/connections/${conn.id}/pause`, `/api/connections/${conn.id}/pause;x`]) {
        const res = await raw(hub.url, target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        expect([target, [401, 404].includes(res.status)]).toEqual([target, true]);
      }
      const tokenPost = await raw(hub.url, '/%61pi/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"sneaky"}' });
      expect(tokenPost.status).toBe(401);
      expect((await api('GET', `/api/connections/${conn.id}`)).body.paused).toBe(false);
      expect((await api('GET', '/api/tokens')).body.items).toEqual([]);
    });

    it('keeps the public routes public and says nothing on a 404', async () => {
      expect((await raw(hub.url, '/api/health')).status).toBe(200);
      expect((await raw(hub.url, '/%61pi/health')).status).toBe(200);
      expect((await raw(hub.url, '/')).status).toBe(200);
      // The feed is checked by its own key, the webhook by its signature.
      expect((await raw(hub.url, `/feeds/${conn.id}.json`)).status).toBe(401);
      expect((await raw(hub.url, `/feeds/${conn.id}.json?key=${KEY}`)).status).toBe(200);
      const hook = await raw(hub.url, `/hooks/${conn.id}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
      expect(hook.status).toBe(401);
      expect(JSON.parse(hook.body).error.code).toBe('CS_WEBHOOK_UNVERIFIED');
      const notFound = await raw(hub.url, '/api/no-such-route', { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(notFound.status).toBe(404);
      expect(JSON.parse(notFound.body).error.code).toBe('CS_NOT_FOUND');
    });

    it('opens event streams with a short-lived ticket, never with ?token=', async () => {
      expect((await raw(hub.url, `/api/events?token=${TOKEN}`)).status).toBe(401);
      const ticketWithout = await raw(hub.url, '/api/events/ticket', { method: 'POST', headers: { 'content-type': 'application/json' } });
      expect(ticketWithout.status).toBe(401);
      const issued = await api('POST', '/api/events/ticket');
      expect(issued.status).toBe(200);
      expect(Date.parse(issued.body.expiresAt) - Date.now()).toBeGreaterThan(30_000);
      expect(Date.parse(issued.body.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
      const { ticket } = issued.body as { ticket: string };
      // The ticket opens the streams...
      const controller = new AbortController();
      const stream = await fetch(`${hub.url}/api/events?ticket=${encodeURIComponent(ticket)}`, { signal: controller.signal });
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toContain('text/event-stream');
      controller.abort();
      // ...and nothing else: not as a bearer token, not as a ticket elsewhere.
      expect((await api('GET', '/api/connections', undefined, ticket)).status).toBe(401);
      expect((await raw(hub.url, `/api/connections?ticket=${encodeURIComponent(ticket)}`)).status).toBe(401);
      // A forged or altered ticket is refused.
      const [b64, mac] = ticket.split('.');
      const body = Buffer.from(b64, 'base64url').toString().replace(/\.(\d+)\./, (_m, exp) => `.${Number(exp) + 3_600_000}.`);
      const forged = `${Buffer.from(body).toString('base64url')}.${mac}`;
      expect((await raw(hub.url, `/api/events?ticket=${encodeURIComponent(forged)}`)).status).toBe(401);
      const expired = Buffer.from(Buffer.from(b64, 'base64url').toString().replace(/\.(\d+)\./, '.1000.')).toString('base64url');
      expect((await raw(hub.url, `/api/events?ticket=${encodeURIComponent(`${expired}.${mac}`)}`)).status).toBe(401);
    });

    it('lists and revokes tokens; a revoked token stops at once', async () => {
      const a = await api('POST', '/api/tokens', { name: 'deploy' });
      expect(a.status).toBe(201);
      expect(a.body).toMatchObject({ name: 'deploy' });
      expect(a.body.token).toMatch(/^cs_/);
      const b = await api('POST', '/api/tokens', { name: 'ci' });
      // Used once: the hub now trusts it (and caches that).
      expect((await api('GET', '/api/connections', undefined, a.body.token)).status).toBe(200);
      const listed = await api('GET', '/api/tokens');
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((t: any) => t.name)).toEqual(['deploy', 'ci']);
      for (const t of listed.body.items) {
        expect(Object.keys(t).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name']);
        expect(JSON.stringify(t)).not.toContain(a.body.token);
        expect(Number.isNaN(Date.parse(t.createdAt))).toBe(false);
      }
      expect(listed.body.items[0].lastUsedAt).not.toBeNull();
      expect(listed.body.items[1].lastUsedAt).toBeNull();
      // A token can manage tokens too.
      const revoked = await api('DELETE', `/api/tokens/${a.body.id}`, undefined, b.body.token);
      expect(revoked).toEqual({ status: 200, body: { revoked: a.body.id } });
      expect((await api('GET', '/api/connections', undefined, a.body.token)).status).toBe(401);
      expect((await api('GET', '/api/tokens')).body.items.map((t: any) => t.name)).toEqual(['ci']);
      expect((await api('DELETE', `/api/tokens/${a.body.id}`)).status).toBe(404);
      const bad = await api('DELETE', '/api/tokens/not-a-uuid');
      expect(bad.status).toBe(400);
      expect(bad.body.error.field).toBe('id');
      const badName = await api('POST', '/api/tokens', { name: 7 });
      expect(badName.status).toBe(400);
      expect(badName.body.error.field).toBe('name');
      // With CHANNELSYNC_TOKEN set, the last stored token may go.
      expect((await api('DELETE', `/api/tokens/${b.body.id}`)).status).toBe(200);
      expect((await api('GET', '/api/connections', undefined, b.body.token)).status).toBe(401);
    });

    it('writes nothing to the database for a bad token, and answers 429 after too many', async () => {
      const good = (await api('POST', '/api/tokens', { name: 'good' })).body;
      expect((await api('GET', '/api/connections', undefined, good.token)).status).toBe(200);
      const fresh = (await api('POST', '/api/tokens', { name: 'fresh' })).body;
      const db = hub.running.hub.db;
      const statements: string[] = [];
      const rows = db.rows.bind(db);
      db.rows = ((q: any) => {
        const chunks = q?.queryChunks ?? [];
        statements.push(chunks.map((c: any) => (Array.isArray(c?.value) ? c.value.join('') : '')).join('?').trim());
        return rows(q);
      }) as typeof db.rows;
      try {
        // The same wrong token again and again: looked up once.
        for (let i = 0; i < 10; i++) expect((await api('GET', '/api/connections', undefined, 'wrong-token')).status).toBe(401);
        const lookups = statements.filter((s) => /api_tokens/.test(s));
        expect(lookups.length).toBe(1);
        expect(lookups.every((s) => /^select/i.test(s))).toBe(true);
        // Many different ones: reads only, then 429 without reading at all.
        statements.length = 0;
        const answers: number[] = [];
        for (let i = 0; i < 40; i++) answers.push((await api('GET', '/api/connections', undefined, `guess-${i}`)).status);
        const first = answers.indexOf(429);
        expect(first).toBeGreaterThan(5);
        expect(first).toBeLessThanOrEqual(30);
        expect(answers.slice(0, first).every((s) => s === 401)).toBe(true);
        expect(answers.slice(first).every((s) => s === 429)).toBe(true);
        expect(statements.filter((s) => /api_tokens/.test(s)).every((s) => /^select/i.test(s))).toBe(true);
        expect(statements.filter((s) => /api_tokens/.test(s)).length).toBeLessThanOrEqual(30);
        const limited = await raw(hub.url, '/api/connections', { headers: { authorization: 'Bearer guess-x' } });
        expect(limited.status).toBe(429);
        expect(limited.headers).toMatch(/retry-after: \d+/i);
        // The admin token still works from that address, and so does a token that worked lately, once
        // this process's trust in it ran out (it is looked up again); a token never seen waits.
        expect((await api('GET', '/api/connections')).status).toBe(200);
        await new Promise((r) => setTimeout(r, TOKEN_CACHE_MS + 200));
        expect((await api('GET', '/api/connections', undefined, good.token)).status).toBe(200);
        expect((await api('GET', '/api/connections', undefined, fresh.token)).status).toBe(429);
      } finally {
        db.rows = rows;
      }
    });
  });
});

describe.each(DATABASES)('a hub without a token (%s)', (kind) => {
  let hub: TestHub;
  let store: Storefront;
  let conn: { id: string };
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    hub = await startTestHub(kind, { host: undefined, hostnames: ['hub.example.com'] });
    store = await startStorefront({ key: KEY, products: 2 });
    conn = (await hub.api('POST', '/api/connections', { name: 'Open shop', kind: 'custom', config: { productsUrl: store.productsUrl, ordersUrl: store.ordersUrl, key: KEY } })).body;
  });
  afterAll(async () => {
    await hub?.close();
    await store?.close();
  });

  it('takes calls with any token while it has none (a panel may keep an old one)', async () => {
    expect((await hub.api('GET', '/api/connections', undefined, 'some-old-token')).status).toBe(200);
  });

  it('listens on loopback only, and says where', () => {
    expect(hub.running.open).toBe(true);
    expect(hub.running.listening).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(hub.running.app!.addresses().map((a) => (typeof a === 'string' ? a : a.address))).toEqual(['127.0.0.1']);
  });

  it('refuses what another site\'s page can send without asking first', async () => {
    const pause = `/api/connections/${conn.id}/pause`;
    const refused: [string, Record<string, string>, string | undefined, number][] = [
      ['text/plain body', { 'content-type': 'text/plain' }, '{}', 415],
      ['text/plain;charset body', { 'content-type': 'text/plain;charset=UTF-8' }, 'x', 415],
      ['form body', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1', 415],
      ['multipart body', { 'content-type': 'multipart/form-data; boundary=x' }, '--x--\r\n', 415],
      ['a body without a type', {}, '{}', 415],
      ['bodiless text/plain', { 'content-type': 'text/plain' }, undefined, 415],
      ['bodiless, from another origin', { origin: 'https://evil.example' }, undefined, 403],
      ['bodiless, cross-site fetch', { 'sec-fetch-site': 'cross-site' }, undefined, 403],
      ['bodiless, same-site fetch (another port)', { 'sec-fetch-site': 'same-site' }, undefined, 403],
      ['JSON from another origin', { ...json, origin: 'http://localhost:3000' }, '{}', 403],
      ['JSON from another port of this machine', { ...json, origin: 'http://127.0.0.1:1' }, '{}', 403],
      ['JSON from the same name over https, default port', { ...json, origin: `https://${new URL(hub.url).hostname}` }, '{}', 403],
      ['text/plain from origin null', { 'content-type': 'text/plain', origin: 'null' }, 'x', 403],
    ];
    for (const [label, headers, body, status] of refused) {
      const res = await raw(hub.url, pause, { method: 'POST', headers, body });
      expect([label, res.status]).toEqual([label, status]);
      expect(JSON.parse(res.body).error.message.length).toBeGreaterThan(10);
    }
    const sync = await raw(hub.url, `/api/connections/${conn.id}/sync`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '' });
    expect(sync.status).toBe(415);
    const created = await raw(hub.url, '/api/tokens', { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'https://evil.example' }, body: '{"name":"x"}' });
    expect(created.status).toBe(403);
    // Nothing happened.
    const after = (await hub.api('GET', `/api/connections/${conn.id}`)).body;
    expect(after.paused).toBe(false);
    expect(after.jobs).toEqual([]);

    // What the panel and scripts send is accepted: JSON (even without a body), the hub's own origin, no origin at all.
    const own = new URL(hub.url).host;
    const accepted: [string, Record<string, string>, string | undefined][] = [
      ['bodiless JSON', json, undefined],
      ['JSON body', json, '{}'],
      ['JSON; charset', { 'content-type': 'application/json; charset=utf-8' }, '{}'],
      ['same origin', { ...json, origin: `http://${own}`, 'sec-fetch-site': 'same-origin' }, '{}'],
      ['same origin by a configured name, default port', { ...json, host: 'hub.example.com', origin: 'http://hub.example.com' }, '{}'],
      ['same origin by a configured name, explicit default port', { ...json, host: 'hub.example.com:443', origin: 'https://hub.example.com' }, '{}'],
      ['bodiless, no type, not from a page (curl, scripts)', {}, undefined],
    ];
    for (const [label, headers, body] of accepted) {
      for (const action of ['pause', 'resume']) {
        const res = await raw(hub.url, `/api/connections/${conn.id}/${action}`, { method: 'POST', headers, body });
        expect([label, action, res.status]).toEqual([label, action, 200]);
      }
    }
  });

  it('answers nothing relayed by a proxy: an open hub is for this machine only', async () => {
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-host']) {
      const res = await raw(hub.url, '/api/connections', { headers: { [header]: header === 'forwarded' ? 'for=203.0.113.9' : '203.0.113.9' } });
      expect([header, res.status]).toEqual([header, 401]);
      expect(res.body).not.toContain(KEY);
      expect(JSON.parse(res.body).error.message).toContain('proxy');
    }
    expect((await raw(hub.url, '/api/health', { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(200);
  });

  it('answers only to its own names: DNS rebinding gets 421, platforms are not affected', async () => {
    for (const host of ['evil.example', 'evil.example:8080', 'localhost.evil.example', 'hub.example.com.evil', '127.0.0.1.nip.io']) {
      for (const target of ['/api/connections', '/', '/index.html', '/api/tokens', '/api/no-such']) {
        const res = await raw(hub.url, target, { headers: { host } });
        expect([host, target, res.status]).toEqual([host, target, 421]);
        expect(res.body).not.toContain(KEY);
        expect(JSON.parse(res.body).error.message).toContain('CHANNELSYNC_HOSTNAMES');
      }
      const post = await raw(hub.url, `/api/connections/${conn.id}/pause`, { method: 'POST', headers: { host, ...json }, body: '{}' });
      expect(post.status).toBe(421);
      // Webhooks and feeds are called by servers with their own Host: they verify themselves.
      expect((await raw(hub.url, `/feeds/${conn.id}.json?key=${KEY}`, { headers: { host } })).status).toBe(200);
      expect((await raw(hub.url, `/hooks/${conn.id}`, { method: 'POST', headers: { host, 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
      expect((await raw(hub.url, '/api/health', { headers: { host } })).status).toBe(200);
    }
    const port = new URL(hub.url).port;
    for (const host of ['localhost', `localhost:${port}`, `127.0.0.1:${port}`, '[::1]', `[::1]:${port}`, 'hub.example.com', 'HUB.example.com:443', '10.1.2.3:8080']) {
      const res = await raw(hub.url, '/api/connections', { headers: { host } });
      expect([host, res.status]).toEqual([host, 200]);
    }
    expect((await hub.api('GET', `/api/connections/${conn.id}`)).body.paused).toBe(false);
  });

  it('closes once a token exists; the last token cannot be revoked', async () => {
    const first = await hub.api('POST', '/api/tokens', { name: 'first' });
    expect(first.status).toBe(201);
    expect((await hub.api('GET', '/api/connections')).status).toBe(401);
    expect((await hub.api('GET', '/api/connections', undefined, first.body.token)).status).toBe(200);
    const last = await hub.api('DELETE', `/api/tokens/${first.body.id}`, undefined, first.body.token);
    expect(last.status).toBe(409);
    expect(last.body.error.message).toMatch(/last API token/);
    const second = await hub.api('POST', '/api/tokens', { name: 'second' }, first.body.token);
    expect((await hub.api('DELETE', `/api/tokens/${first.body.id}`, undefined, second.body.token)).status).toBe(200);
    expect((await hub.api('GET', '/api/connections', undefined, first.body.token)).status).toBe(401);
    expect((await hub.api('GET', '/api/connections')).status).toBe(401);
    // With a token, a state-changing call may send what it likes: a page elsewhere cannot send the token.
    const res = await raw(hub.url, `/api/connections/${conn.id}/resume`, { method: 'POST', headers: { authorization: `Bearer ${second.body.token}` } });
    expect(res.status).toBe(200);
  });
});

describe('two API processes on one PostgreSQL', () => {
  it('a token revoked through one is refused by the other within the cache bound', async () => {
    const db = await freshDatabase('postgres');
    const opts = { databaseUrl: db.url!, dataDir: 'memory://', port: 0, host: '127.0.0.1', workers: 0, adminToken: TOKEN, logger: pino({ level: 'silent' }), schedule: false as const };
    const one = await startHub(opts);
    const two = await startHub(opts);
    try {
      const call = (url: string, token: string, method = 'GET', path = '/api/connections') => fetch(url + path, { method, headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
      const made = await (await fetch(`${one.url}/api/tokens`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"name":"shared"}' })).json() as { id: string; token: string };
      expect(await call(two.url!, made.token)).toBe(200);
      expect(await call(one.url!, made.token)).toBe(200);
      expect(await call(one.url!, TOKEN, 'DELETE', `/api/tokens/${made.id}`)).toBe(200);
      const revokedAt = Date.now();
      expect(await call(one.url!, made.token)).toBe(401);
      // The other process trusted it a moment ago: it may go on for at most TOKEN_CACHE_MS.
      let refusedAfter = -1;
      while (Date.now() - revokedAt < TOKEN_CACHE_MS + 2_000) {
        if (await call(two.url!, made.token) === 401) { refusedAfter = Date.now() - revokedAt; break; }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(refusedAfter).toBeGreaterThanOrEqual(0);
      expect(refusedAfter).toBeLessThanOrEqual(TOKEN_CACHE_MS + 500);
    } finally {
      await one.close();
      await two.close();
      await db.drop();
    }
  });
});

describe('where the hub listens', () => {
  it('refuses to listen beyond loopback without a token, and says how to make one', async () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.1']) {
      const err = await startTestHub('pglite', { host }).then(async (h) => { await h.close(); return null; }, (e: Error) => e);
      expect(err?.message).toContain(`HOST=${host}`);
      expect(err?.message).toContain('CHANNELSYNC_TOKEN');
      expect(err?.message).toContain('channelsync token create');
    }
  });

  it('listens on every interface by default once a token exists', async () => {
    const hub = await startTestHub('pglite', { host: undefined, adminToken: TOKEN });
    try {
      expect(hub.running.open).toBe(false);
      expect(hub.running.listening).toMatch(/^0\.0\.0\.0:\d+$/);
      expect(hub.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await hub.api('GET', '/api/connections')).status).toBe(401);
    } finally {
      await hub.close();
    }
  });

  it('reads HOST and CHANNELSYNC_HOSTNAMES from the environment', async () => {
    const { optionsFromEnv } = await import('../src/app.js');
    expect(optionsFromEnv({}).host).toBeUndefined();
    expect(optionsFromEnv({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(optionsFromEnv({ CHANNELSYNC_HOSTNAMES: ' Hub.Example.com , shop.test. ,' }).hostnames).toEqual(['hub.example.com', 'shop.test']);
  });
});

describe('channelsync start: where it says it listens', () => {
  const start = (env: Record<string, string>) => new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), 'start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', CHANNELSYNC_DATA: 'memory://', CHANNELSYNC_SCHEDULER: 'off', CHANNELSYNC_WORKERS: '1', LOG_LEVEL: 'warn', DATABASE_URL: '', HOST: '', CHANNELSYNC_TOKEN: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const done = (code: number | null) => resolve({ code, out });
    child.stdout.on('data', (d) => {
      out += d;
      // The banner is printed in one go: stop the hub a moment after its address shows.
      if (/listening on/.test(out)) setTimeout(() => child.kill('SIGTERM'), 500);
    });
    child.stderr.on('data', (d) => { out += d; });
    child.once('exit', done);
    setTimeout(() => child.kill('SIGKILL'), 90_000);
  });

  it('without a token: on loopback, and the banner says so and how to open it', async () => {
    const r = await start({});
    expect(r.out).toMatch(/channelsync is running on http:\/\/127\.0\.0\.1:\d+/);
    expect(r.out).toMatch(/listening on 127\.0\.0\.1:\d+\n/);
    expect(r.out).toContain('No API token exists');
    expect(r.out).toContain('channelsync token create');
  }, 120_000);

  it('refuses HOST=0.0.0.0 without a token, with a sentence saying what to do', async () => {
    const r = await start({ HOST: '0.0.0.0' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('HOST=0.0.0.0 would open the admin API to the network, but no API token exists');
    expect(r.out).toContain('CHANNELSYNC_TOKEN');
  }, 120_000);

  it('with a token: every interface by default, and the banner prints that address', async () => {
    const r = await start({ CHANNELSYNC_TOKEN: TOKEN });
    expect(r.out).toMatch(/listening on 0\.0\.0\.0:\d+ \(every network interface\)/);
    expect(r.out).not.toContain('No API token exists');
  }, 120_000);
});
