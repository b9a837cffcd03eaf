import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { raiseIssues, type NewIssue } from '../src/engine/issues.js';
import { maskMessage } from '../src/engine/troubleshoot.js';

describe('maskMessage', () => {
  it.each([
    ['Create of JBL-EON-000123 on Shop B failed: price 12.50 is below 15', 'Create of # on Shop B failed: price # is below #'],
    ['variations[3].prices[0].currency: currency "MX" is not ISO 4217, read as MXN', 'variations[#].prices[#].currency: currency "…" is not ISO #, read as MXN'],
    ['Order 9c5b94b1-35ad-49bb-b118-8e8fc24abf80 has no lines', 'Order <id> has no lines'],
    ['The store listed no products at all.', 'The store listed no products at all.'],
  ])('%j -> %j', (message, pattern) => {
    expect(maskMessage(message)).toBe(pattern);
  });
});

describe.each(DATABASES)('issues and troubleshoot (%s)', (kind) => {
  let hub: TestHub;
  let shop: Storefront;
  let A: { id: string };
  let B: { id: string };

  beforeAll(async () => {
    shop = await startStorefront({ key: 'key-a-1234567', products: 100, faults: { wrongTypes: true } });
    hub = await startTestHub(kind);
    A = await connectShop(hub, 'Shop A', shop);
    B = (await hub.api('POST', '/api/connections', {
      name: 'Shop B', kind: 'custom', config: { productsUrl: 'http://127.0.0.1:9/api/product', ordersUrl: 'http://127.0.0.1:9/api/order', key: 'key-b-1234567' },
    })).body;
  });
  afterAll(async () => {
    await hub?.close();
    await shop?.close();
  });

  it('groups the issues of a real fetch into patterns whose counts add up', async () => {
    const job = await hub.run('fetch', A.id);
    expect(job.state).toBe('completed');
    const issues = (await hub.api('GET', `/api/issues?connectionId=${A.id}&limit=5000`)).body.items;
    const res = await hub.api('GET', `/api/issues/troubleshoot?connectionId=${A.id}`);
    expect(res.status).toBe(200);
    const { total, patterns } = res.body;
    expect(total).toBe(issues.length);
    expect(patterns.reduce((n: number, p: { count: number }) => n + p.count, 0)).toBe(issues.length);
    expect(patterns.length).toBeLessThan(issues.length / 3);
    for (let i = 1; i < patterns.length; i++) expect(patterns[i - 1].count).toBeGreaterThanOrEqual(patterns[i].count);
    // Every tenth product has variations "oops", every tenth a quantity "lots": two patterns of ten errors.
    const oops = patterns.filter((p: { severity: string }) => p.severity === 'error');
    expect(oops.reduce((n: number, p: { count: number }) => n + p.count, 0)).toBe(issues.filter((i: { severity: string }) => i.severity === 'error').length);
    expect(oops.map((p: { count: number }) => p.count)).toEqual([10, 10]);
    expect(oops[0].examples).toHaveLength(3);
    expect(oops[0].connections).toEqual([{ id: A.id, name: 'Shop A' }]);
    for (const p of patterns) {
      const same = issues.filter((i: { code: string; severity: string; message: string }) =>
        i.code === p.code && i.severity === p.severity && maskMessage(i.message) === p.pattern);
      expect(same.length, p.pattern).toBe(p.count);
    }
    // Issues raised while reading reach their record through the listing.
    const notice = patterns.find((p: { code: string; examples: { recordId: string | null }[] }) =>
      p.code === 'currency_normalised' && p.examples.some((e) => e.recordId));
    const example = notice.examples.find((e: { recordId: string | null }) => e.recordId);
    expect(example.sku).toEqual(expect.any(String));
    const byRecord = (await hub.api('GET', `/api/issues?recordId=${example.recordId}`)).body.items;
    expect(byRecord.map((i: { id: string }) => i.id)).toContain(example.issueId);
  });

  it('reads 5,000 issues as 3 lines, largest first, and filters by severity and connection', async () => {
    const list: NewIssue[] = [];
    for (let i = 0; i < 5000; i++) {
      const shape = i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2;
      list.push({
        connectionId: B.id, entity: 'product', externalId: `ext-${i}`, origin: 'send', code: ['send_invalid_data', 'currency_normalised', 'no_image'][shape],
        severity: (['error', 'notice', 'warning'] as const)[shape],
        message: [
          `Create of SKU-${String(i).padStart(5, '0')} on Shop B failed: price ${(i % 97) + 0.5} is below the minimum of 15.00`,
          `variations[${i % 4}].prices[0].currency: currency "${i % 2 ? 'MX' : 'pesos'}" is not ISO 4217, read as MXN`,
          `Product ${1_000_000 + i} has no image`,
        ][shape],
      });
    }
    for (let i = 0; i < list.length; i += 1000) await raiseIssues(hub.running.hub.db, list.slice(i, i + 1000));
    const res = await hub.api('GET', `/api/issues/troubleshoot?connectionId=${B.id}`);
    expect(res.body.total).toBe(5000);
    expect(res.body.patterns.map((p: { severity: string; code: string; pattern: string; count: number; records: number }) =>
      [p.severity, p.code, p.pattern, p.count, p.records])).toEqual([
      ['error', 'send_invalid_data', 'Create of # on Shop B failed: price # is below the minimum of #', 2500, 2500],
      ['notice', 'currency_normalised', 'variations[#].prices[#].currency: currency "…" is not ISO #, read as MXN', 1500, 1500],
      ['warning', 'no_image', 'Product # has no image', 1000, 1000],
    ]);
    for (const p of res.body.patterns) {
      expect(p.examples).toHaveLength(3);
      for (const e of p.examples) expect(maskMessage(e.message)).toBe(p.pattern);
    }
    const warnings = (await hub.api('GET', `/api/issues/troubleshoot?connectionId=${B.id}&severity=warning`)).body;
    expect(warnings.patterns.map((p: { count: number }) => p.count)).toEqual([1000]);
    const everything = (await hub.api('GET', '/api/issues/troubleshoot?limit=1000')).body;
    expect(everything.total).toBe(5000 + (await hub.api('GET', `/api/issues/troubleshoot?connectionId=${A.id}`)).body.total);
    const listed = (await hub.api('GET', `/api/issues?connectionId=${B.id}&severity=warning&limit=5000`)).body.items;
    expect(listed).toHaveLength(1000);
    expect(new Set(listed.map((i: { connectionId: string }) => i.connectionId))).toEqual(new Set([B.id]));
  });

  it('rejects wrong filters with a 400 naming them', async () => {
    for (const [qs, field] of [['severity=fatal', 'severity'], ['connectionId=nope', 'connectionId'], ['limit=0', 'limit']]) {
      const res = await hub.api('GET', `/api/issues/troubleshoot?${qs}`);
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe(field);
    }
  });
});
