import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers/hub.js';

describe('GET /api/connectors', () => {
  let hub: TestHub;
  beforeAll(async () => { hub = await startTestHub('pglite', { adminToken: 'secret-admin-token' }); });
  afterAll(async () => { await hub?.close(); });

  it('lists every installed kind with its config schema, behind the token', async () => {
    expect((await hub.api('GET', '/api/connectors')).status).toBe(401);
    const { status, body } = await hub.api('GET', '/api/connectors', undefined, 'secret-admin-token');
    expect(status).toBe(200);
    const custom = body.items.find((c: { kind: string }) => c.kind === 'custom');
    expect(custom.label).toBe('Custom storefront');
    expect(custom.secretFields).toEqual(['key']);
    expect(Object.keys(custom.configSchema.properties)).toEqual(expect.arrayContaining(['productsUrl', 'ordersUrl', 'key']));
    expect(custom.configSchema.required).toContain('productsUrl');
  });

  it('answers repeated calls with a token without asking the database each time', async () => {
    for (let i = 0; i < 3; i++) expect((await hub.api('GET', '/api/health')).status).toBe(200);
    const created = await hub.api('POST', '/api/tokens', { name: 'panel' }, 'secret-admin-token');
    expect(created.status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await hub.api('GET', '/api/connectors', undefined, created.body.token)).status).toBe(200);
    expect((await hub.api('GET', '/api/connectors', undefined, created.body.token + 'x')).status).toBe(401);
  });
});
