import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { suggestionInput } from '../src/engine/sets.js';

describe.each(DATABASES)('what the API takes is bounded (%s)', (kind) => {
  let hub: TestHub;
  const config = { productsUrl: 'https://shop.example.com/api/product', ordersUrl: 'https://shop.example.com/api/order', key: 'limits-key-0001' };
  beforeAll(async () => { hub = await startTestHub(kind); });
  afterAll(async () => { await hub?.close(); });

  it('a 10,000-character connection name is a 400 naming name, with a short answer', async () => {
    const started = Date.now();
    const res = await hub.api('POST', '/api/connections', { name: 'N'.repeat(10_000), kind: 'custom', config });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('name');
    expect(res.body.error.message).toMatch(/at most 200 characters/);
    expect(JSON.stringify(res.body).length).toBeLessThan(500);
    expect(Date.now() - started).toBeLessThan(2000);
    const kindLong = await hub.api('POST', '/api/connections', { name: 'Shop', kind: 'k'.repeat(10_000), config });
    expect(kindLong.status).toBe(400);
    expect(kindLong.body.error.field).toBe('kind');
    expect(JSON.stringify(kindLong.body).length).toBeLessThan(500);
    const ok = await hub.api('POST', '/api/connections', { name: 'Shop', kind: 'custom', config });
    expect(ok.status).toBe(201);
    const patched = await hub.api('PATCH', `/api/connections/${ok.body.id}`, { name: 'M'.repeat(201) });
    expect(patched.status).toBe(400);
    expect(patched.body.error.field).toBe('name');
  });

  it('a NUL in a connection name is a 400 naming name, not a 500', async () => {
    const res = await hub.api('POST', '/api/connections', { name: 'Sh\u0000op', kind: 'custom', config });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('name');
    const settings = await hub.api('POST', '/api/connections', { name: 'Shop 2', kind: 'custom', config, settings: { defaultCategory: 'Bo\u0000oks' } });
    expect(settings.status).toBe(400);
    expect(settings.body.error.field).toBe('settings.defaultCategory');
  });

  it('a NUL in a set query is a 400 naming q', async () => {
    const res = await hub.api('GET', `/api/products?q=${encodeURIComponent('of brand JB\u0000L')}`);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('q');
  });

  it('a NUL anywhere in an API input is a 400 naming the field, not a 500', async () => {
    const token = await hub.api('POST', '/api/tokens', { name: 'ci\u0000bot' });
    expect(token.status).toBe(400);
    expect(token.body.error.field).toBe('name');
    const cursor = await hub.api('GET', `/api/products?cursor=${encodeURIComponent('abc\u0000')}`);
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.field).toBe('cursor');
    const group = await hub.api('POST', '/api/connections', {
      name: 'Shop 3', kind: 'custom', config, settings: { groups: [{ name: 'Sh\u0000oes', select: 'of brand JBL' }] },
    });
    expect(group.status).toBe(400);
    expect(group.body.error.field).toBe('settings.groups.0.name');
  });

  it('texts of settings have limits too: a group name, a select expression', async () => {
    const name = await hub.api('POST', '/api/connections', { name: 'Shop 4', kind: 'custom', config, settings: { groups: [{ name: 'G'.repeat(201) }] } });
    expect(name.status).toBe(400);
    expect(name.body.error.field).toBe('settings.groups.0.name');
    const select = await hub.api('POST', '/api/connections', { name: 'Shop 4', kind: 'custom', config, settings: { groups: [{ name: 'G', select: 'of brand '.repeat(300) }] } });
    expect(select.status).toBe(400);
    expect(select.body.error.field).toBe('settings.groups.0.select');
    expect(select.body.error.message).toMatch(/at most 2000 characters/);
    const query = await hub.api('GET', `/api/products?q=${'a'.repeat(2001)}`);
    expect(query.status).toBe(400);
    expect(query.body.error.field).toBe('q');
    expect(JSON.stringify(query.body).length).toBeLessThan(300);
  });

  it('a 120-character unknown word beside a very long connection name answers at once, with a short 400', async () => {
    // A name as long as any stored before names had a limit.
    const long = `Long ${'x'.repeat(300_000)}`;
    const created = await hub.api('POST', '/api/connections', { name: 'To be long', kind: 'custom', config });
    expect(created.status).toBe(201);
    const { id } = created.body;
    await hub.running.hub.db.rows(sql`update connections set name = ${long} where id = ${id}`);
    const word = 'q'.repeat(120);
    const started = Date.now();
    const res = await hub.api('GET', `/api/products?q=${encodeURIComponent(`products on ${word}`)}`);
    // A freeze shows as seconds; the answer comes in milliseconds.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('q');
    expect(res.body.error.message).toMatch(/no connection or connector kind is named/);
    expect(res.body.error.message.length).toBeLessThan(1000);
  });
});

describe('did you mean: bounded input', () => {
  it('compares at most a few dozen characters of each side', () => {
    expect(suggestionInput('a'.repeat(10_000)).length).toBeLessThanOrEqual(32);
    expect(suggestionInput('Shop B')).toBe('shop b');
  });
});
