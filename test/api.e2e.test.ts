import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';

const TOKEN = 'x';

describe.each(DATABASES)('HTTP API contract, SPEC section 9 (%s)', (kind) => {
  let hub: TestHub;
  let a: Storefront;
  let b: Storefront;
  let A: any;
  let B: any;
  const api = (method: string, path: string, body?: unknown) => hub.api(method, path, body, TOKEN);
  const connect = (body: unknown) => api('POST', '/api/connections', body);
  const custom = (shop: Storefront, extra: Record<string, unknown> = {}) =>
    ({ productsUrl: shop.productsUrl, ordersUrl: shop.ordersUrl, key: shop.key, retryBaseMs: 5, ...extra });

  beforeAll(async () => {
    hub = await startTestHub(kind, { adminToken: TOKEN });
    a = await startStorefront({ key: 'api-a-1234567', products: 7, pageSize: 3 });
    b = await startStorefront({ key: 'api-b-1234567', products: [] });
    A = (await connect({ name: 'Shop A', kind: 'custom', config: custom(a) })).body;
    B = (await connect({ name: 'Shop B', kind: 'custom', config: custom(b), settings: { absorb: { products: true } } })).body;
  });
  afterAll(async () => {
    await hub?.close();
    await a?.close();
    await b?.close();
  });

  it('answers health without a token', async () => {
    expect(await hub.api('GET', '/api/health')).toEqual({ status: 200, body: { ok: true } });
  });

  it('answers 401 on every other /api route without the token or with a wrong one', async () => {
    const doc = (await api('GET', '/api/openapi.json')).body;
    const routes: [string, string][] = [['GET', '/api/openapi.json'], ['GET', '/api/events'], ['GET', '/api/no-such-route']];
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      if (path === '/api/health' || !path.startsWith('/api/')) continue;
      for (const method of Object.keys(methods)) routes.push([method.toUpperCase(), path.replace(/\{[^}]+\}/g, A.id)]);
    }
    expect(routes.length).toBeGreaterThan(12);
    for (const [method, path] of routes) {
      const body = ['POST', 'PATCH', 'PUT'].includes(method) ? {} : undefined;
      for (const token of [undefined, 'wrong', `${TOKEN}x`]) {
        const res = await hub.api(method, path, body, token);
        expect([method, path, token, res.status]).toEqual([method, path, token, 401]);
        expect(res.body.error.code).toBe('CS_UNAUTHORIZED');
      }
    }
    // Nothing was done by the refused calls.
    expect((await api('GET', `/api/connections/${A.id}`)).body.jobs).toEqual([]);
  });

  it('400 names the bad field of a new connection', async () => {
    const cases: [unknown, string][] = [
      [{ kind: 'custom', config: custom(a) }, 'name'],
      [{ name: '  ', kind: 'custom', config: custom(a) }, 'name'],
      [{ name: 'x', config: custom(a) }, 'kind'],
      [{ name: 'x', kind: 'shopify-ish', config: custom(a) }, 'kind'],
      [{ name: 'x', kind: 'custom', config: 'nope' }, 'config'],
      [{ name: 'x', kind: 'custom', config: custom(a, { productsUrl: 'not a url' }) }, 'config.productsUrl'],
      [{ name: 'x', kind: 'custom', config: custom(a, { productsUrl: 'ftp://shop.example.com/p' }) }, 'config.productsUrl'],
      [{ name: 'x', kind: 'custom', config: custom(a, { ordersUrl: undefined }) }, 'config.ordersUrl'],
      [{ name: 'x', kind: 'custom', config: custom(a, { key: 'short' }) }, 'config.key'],
      [{ name: 'x', kind: 'custom', config: custom(a), settings: { price: { round: 'up' } } }, 'settings.price.round'],
      [{ name: 'x', kind: 'custom', config: custom(a), settings: { stock: { buffer: -1 } } }, 'settings.stock.buffer'],
      [{ name: 'x', kind: 'custom', config: custom(a), settings: { fields: { colour: { write: false } } } }, 'settings.fields'],
      [[1, 2], 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await connect(body);
      expect([field, res.status]).toEqual([field, 400]);
      expect(res.body.error).toMatchObject({ code: 'CS_BAD_REQUEST', field });
      expect(res.body.error.message).toContain(field.split('.').pop());
    }
    const patch = await api('PATCH', `/api/connections/${A.id}`, { settings: { price: { marginPercent: 'ten' } } });
    expect(patch.status).toBe(400);
    expect(patch.body.error.field).toBe('settings.price.marginPercent');
    const list = (await api('GET', '/api/connections')).body.items;
    expect(list.map((c: any) => c.name).sort()).toEqual(['Shop A', 'Shop B']);
  });

  it('PATCH with null removes an optional listing rule, keeps null where it is a value, and refuses it elsewhere', async () => {
    const settings = async () => (await api('GET', `/api/connections/${A.id}`)).body.settings;
    const set = await api('PATCH', `/api/connections/${A.id}`, { settings: { defaultCategory: 'Home', deliveryDays: 3, currency: { code: 'USD' }, stock: { max: 50 } } });
    expect(set.status).toBe(200);
    expect(await settings()).toMatchObject({ defaultCategory: 'Home', deliveryDays: 3, currency: { code: 'USD' }, stock: { max: 50 } });

    const cleared = await api('PATCH', `/api/connections/${A.id}`, { settings: { defaultCategory: null, currency: { code: null }, stock: { max: null } } });
    expect(cleared.status).toBe(200);
    const after = await settings();
    expect(after).not.toHaveProperty('defaultCategory');
    expect(after.currency).not.toHaveProperty('code');
    expect(after.deliveryDays).toBe(3);
    expect(after.stock).toEqual({ buffer: 0, max: null });

    // A setting with a default is not reset by null: that stays a 400, and nothing is saved.
    const refused = await api('PATCH', `/api/connections/${A.id}`, { settings: { price: null, deliveryDays: null } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.field).toBe('settings.price');
    expect((await settings()).deliveryDays).toBe(3);
    expect((await api('PATCH', `/api/connections/${A.id}`, { settings: { deliveryDays: null } })).status).toBe(200);
    expect(await settings()).not.toHaveProperty('deliveryDays');
  });

  it('400 names a bad limit, cursor or set expression', async () => {
    for (const limit of ['0', '-1', 'abc', '100000', '1.5']) {
      const res = await api('GET', `/api/products?limit=${limit}`);
      expect([limit, res.status, res.body.error.field]).toEqual([limit, 400, 'limit']);
    }
    expect((await api('GET', '/api/products?cursor=garbage')).body.error.field).toBe('cursor');
    expect((await api('GET', '/api/products?q=flying%20pigs')).body.error.field).toBe('q');
    expect((await api('GET', '/api/issues?connectionId=nope')).body.error.field).toBe('connectionId');
  });

  it('404 for an unknown connection, job or product', async () => {
    const unknown = crypto.randomUUID();
    const cases: [string, string][] = [
      ['GET', `/api/connections/${unknown}`], ['GET', '/api/connections/not-an-id'], ['PATCH', `/api/connections/${unknown}`],
      ['POST', `/api/connections/${unknown}/fetch`], ['POST', `/api/connections/${unknown}/send`], ['POST', `/api/connections/${unknown}/sync`],
      ['POST', `/api/connections/${unknown}/pause`], ['POST', `/api/connections/${unknown}/resume`],
      ['GET', `/api/jobs/${unknown}`], ['GET', '/api/jobs/42'], ['GET', `/api/jobs/${unknown}/events`],
      ['GET', `/api/products/${unknown}`], ['GET', '/api/products/nope'], ['GET', `/api/orders/${unknown}`],
    ];
    for (const [method, path] of cases) {
      const res = await api(method, path, method === 'PATCH' ? { name: 'x' } : undefined);
      expect([method, path, res.status]).toEqual([method, path, 404]);
      expect(res.body.error.code).toBe('CS_NOT_FOUND');
    }
  });

  it('generates a key for a custom connection that has none and returns it as config.key', async () => {
    const res = await connect({ name: 'Keyless', kind: 'custom', config: { productsUrl: a.productsUrl, ordersUrl: a.ordersUrl } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.any(String), name: 'Keyless', kind: 'custom', state: 'idle', paused: false });
    expect(res.body.config.key).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const again = (await api('GET', `/api/connections/${res.body.id}`)).body;
    expect(again.config.key).toBe(res.body.config.key);
    const other = await connect({ name: 'Keyless 2', kind: 'custom', config: { productsUrl: a.productsUrl, ordersUrl: a.ordersUrl, key: '' } });
    expect(other.body.config.key).not.toBe(res.body.config.key);
    // The store does not know that key: a fetch fails with an auth error, not silently.
    const job = await hub.run('fetch', res.body.id);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/refused this connection's key/);
  });

  it('serves an OpenAPI document listing the routes', async () => {
    const { status, body } = await api('GET', '/api/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\./);
    const paths = Object.keys(body.paths);
    for (const p of ['/api/health', '/api/connections', '/api/connections/{id}', '/api/connections/{id}/fetch', '/api/connections/{id}/send',
      '/api/connections/{id}/sync', '/api/connections/{id}/pause', '/api/connections/{id}/resume', '/api/jobs/{id}',
      '/api/products', '/api/products/{id}', '/api/orders', '/api/orders/{id}', '/api/issues']) {
      expect(paths).toContain(p);
    }
    expect(Object.keys(body.paths['/api/connections'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(body.paths['/api/connections/{id}'])).toEqual(expect.arrayContaining(['get', 'patch']));
  });

  it('shows a connection with state, pending counts and clocks, and jobs in the contract shape', async () => {
    const c = (await api('GET', `/api/connections/${A.id}`)).body;
    expect(c).toMatchObject({ id: A.id, name: 'Shop A', kind: 'custom', state: 'idle', clocks: {}, pending: { inserts: 0, updates: 0 } });
    const started = await api('POST', `/api/connections/${A.id}/fetch`);
    expect(started.status).toBe(202);
    expect(started.body.jobId).toEqual(expect.any(String));
    const job = await hub.waitJob(started.body.jobId);
    expect(Object.keys(job)).toEqual(expect.arrayContaining(['id', 'type', 'connectionId', 'state', 'phase', 'done', 'total', 'summary', 'error']));
    // Seven products and no orders: the job counts what it read.
    expect(job).toMatchObject({ id: started.body.jobId, type: 'fetch', connectionId: A.id, state: 'completed', error: null, phase: 'done', done: 7, total: 7 });
    expect(job.summary.fetch).toMatchObject({ scanned: 7, created: 7, complete: true });
    const after = (await api('GET', `/api/connections/${A.id}`)).body;
    expect(after.clocks.products).toMatchObject({ complete: true, jobId: job.id });
    expect((await api('GET', `/api/connections/${B.id}`)).body.pending).toEqual({ inserts: 7, updates: 0, total: 7 });
  });

  it('lists products with their equivalences: pending_insert, then live after the send; pages with a cursor', async () => {
    const first = (await api('GET', '/api/products?limit=50')).body;
    expect(first.total).toBe(7);
    expect(first.nextCursor).toBeNull();
    for (const p of first.items) {
      expect(p).toMatchObject({ id: expect.any(String), sku: expect.any(String), title: expect.any(String), variations: expect.any(Array) });
      expect(p.equivalences).toEqual(expect.arrayContaining([
        expect.objectContaining({ connectionId: A.id, externalId: expect.any(String), status: 'live' }),
        expect.objectContaining({ connectionId: B.id, externalId: null, status: 'pending_insert' }),
      ]));
      expect(p.equivalences).toHaveLength(2);
    }
    const detail = (await api('GET', `/api/products/${first.items[0].id}`)).body;
    const pendingOnB = detail.equivalences.find((e: any) => e.connectionId === B.id);
    expect(pendingOnB.pending.op).toBe('insert');
    expect(detail.issues).toEqual(expect.any(Array));

    expect((await hub.run('send', B.id)).state).toBe('completed');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = (await api('GET', `/api/products?limit=3${cursor ? `&cursor=${cursor}` : ''}`)).body;
      expect(page.total).toBe(7);
      for (const p of page.items) {
        seen.push(p.id);
        const onB = p.equivalences.find((e: any) => e.connectionId === B.id);
        expect(onB.status).toBe('live');
        expect(b.products.has(onB.externalId)).toBe(true);
      }
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
    const onB = (await api('GET', `/api/products?q=${encodeURIComponent('on "Shop B"')}`)).body;
    expect(onB.total).toBe(7);
  });

  it('lists issues in the contract shape', async () => {
    a.products.get([...a.products.keys()][0])!.variations = 'broken' as never;
    await hub.run('fetch', A.id);
    const { status, body } = await api('GET', `/api/issues?connectionId=${A.id}`);
    expect(status).toBe(200);
    const error = body.items.find((i: any) => i.severity === 'error');
    expect(error).toMatchObject({ id: expect.any(String), severity: 'error', code: 'invalid_variations', message: expect.stringContaining('variations'), connectionId: A.id });
    expect(error).toHaveProperty('recordId');
  });

  it('streams a job over server-sent events until it ends', async () => {
    a.setFaults({ delayMs: 100 });
    try {
      const { jobId } = (await api('POST', `/api/connections/${A.id}/fetch`)).body;
      const res = await fetch(`${hub.url}/api/jobs/${jobId}/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      let text = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
      const events = text.split('\n\n').filter((e) => e.startsWith('event: ')).map((e) => {
        const [head, data] = e.split('\n');
        return { event: head.slice(7), data: JSON.parse(data.slice(6)) };
      });
      const jobs = events.filter((e) => e.event === 'job').map((e) => e.data);
      expect(jobs.length).toBeGreaterThan(1);
      expect(jobs.every((j) => j.id === jobId)).toBe(true);
      expect(jobs.some((j) => j.state === 'running')).toBe(true);
      expect(jobs[jobs.length - 1]).toMatchObject({ state: 'completed', type: 'fetch', connectionId: A.id });
      // Once it ended, the stream of an ended job is one event and closes. EventSource sends no
      // headers: a short-lived ticket stands in for the token (?token= is not accepted).
      expect((await fetch(`${hub.url}/api/jobs/${jobId}/events?token=${TOKEN}`)).status).toBe(401);
      const { ticket } = (await api('POST', '/api/events/ticket')).body;
      const ended = await fetch(`${hub.url}/api/jobs/${jobId}/events?ticket=${encodeURIComponent(ticket)}`);
      expect(await ended.text()).toMatch(/^event: job\ndata: .*"state":"completed"/);
    } finally {
      a.setFaults({});
    }
  });
});
