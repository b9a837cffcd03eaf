import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop, startBreakingProxy } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { demoProduct } from '../src/storefront/catalog.js';

/** `n` demo products starting at product number `from`: distinct SKUs per test, so tests on one hub do not share records. */
const catalog = (from: number, n: number) => Array.from({ length: n }, (_, k) => demoProduct(from + k));

describe.each(DATABASES)('fetch from a misbehaving storefront (%s)', (kind) => {
  let hub: TestHub;
  const shops: Storefront[] = [];
  const shop = async (products: ReturnType<typeof catalog>, pageSize = 10) => {
    const s = await startStorefront({ key: `fault-key-${shops.length}-abcdef`, products, pageSize });
    shops.push(s);
    return s;
  };
  const connection = async (id: string) => (await hub.api('GET', `/api/connections/${id}`)).body;
  const issuesOf = async (id: string) => (await hub.api('GET', `/api/issues?connectionId=${id}`)).body.items as any[];

  beforeAll(async () => { hub = await startTestHub(kind); });
  afterAll(async () => {
    await hub?.close();
    await Promise.all(shops.map((s) => s.close()));
  });

  it('recovers from garbage JSON that goes away', async () => {
    const s = await shop(catalog(0, 20));
    const c = await connectShop(hub, 'Garbage once', s);
    s.setFaults({ garbageJson: 2 });
    const job = await hub.run('fetch', c.id);
    expect(job.state).toBe('completed');
    expect(job.summary.fetch).toMatchObject({ scanned: 20, created: 20, invalid: 0, complete: true });
    expect((await connection(c.id)).equivalences).toEqual({ live: 20 });
  });

  it('fails with a clear error on persistent garbage mid-scan, keeps what was synced, and resumes cleanly', async () => {
    const s = await shop(catalog(100, 300), 50);
    const proxy = await startBreakingProxy(s);
    try {
      const c = await connectShop(hub, 'Breaks mid-scan', s, { config: { productsUrl: proxy.productsUrl, ordersUrl: proxy.ordersUrl } });
      proxy.breakFrom = 250;
      const failed = await hub.run('fetch', c.id);
      expect(failed.state).toBe('failed');
      expect(failed.error).toMatch(/did not answer with JSON/);
      expect(failed.error).toContain('offset=250');
      // The pages before the failure were committed; the clock did not move.
      expect((await connection(c.id)).equivalences).toEqual({ live: 250 });
      expect((await connection(c.id)).clocks.products).toBeUndefined();

      proxy.breakFrom = null;
      const ok = await hub.run('fetch', c.id);
      expect(ok.state).toBe('completed');
      expect(ok.summary.fetch).toMatchObject({ scanned: 300, unchanged: 250, created: 50, complete: true });
      const after = await connection(c.id);
      expect(after.equivalences).toEqual({ live: 300 });
      expect(after.clocks.products).toMatchObject({ complete: true, jobId: ok.id });

      // Now the whole store breaks: the job fails, nothing synced is lost or marked gone, the clock stays.
      s.setFaults({ garbageJson: 1000 });
      const broken = await hub.run('fetch', c.id);
      expect(broken.state).toBe('failed');
      expect(broken.error).toMatch(/did not answer with JSON/);
      const kept = await connection(c.id);
      expect(kept.equivalences).toEqual({ live: 300 });
      expect(kept.clocks.products.jobId).toBe(ok.id);
      const { body } = await hub.api('GET', `/api/products?q=${encodeURIComponent('on "Breaks mid-scan"')}&limit=1`);
      expect(body.total).toBe(300);
    } finally {
      await proxy.close();
    }
  });

  it('turns products with wrong types into error issues naming them, and imports the rest', async () => {
    const s = await shop(catalog(500, 20));
    const c = await connectShop(hub, 'Wrong types', s);
    s.setFaults({ wrongTypes: true });
    const job = await hub.run('fetch', c.id);
    expect(job.state).toBe('completed');
    expect(job.summary.fetch).toMatchObject({ scanned: 16, created: 16, invalid: 4, complete: true });
    const errors = (await issuesOf(c.id)).filter((i) => i.severity === 'error');
    // Positions 3 and 13 have variations "oops", 7 and 17 a quantity "lots".
    const ids = [...s.products.keys()];
    expect(errors.map((i) => i.externalId).sort()).toEqual([ids[3], ids[7], ids[13], ids[17]].sort());
    expect(errors.map((i) => i.code).sort()).toEqual(['invalid_number', 'invalid_number', 'invalid_variations', 'invalid_variations']);
    expect(errors.find((i) => i.externalId === ids[7]).message).toMatch(/quantity must be a number, got "lots"/);
    for (const i of errors) expect(i).toMatchObject({ connectionId: c.id, id: expect.any(String), recordId: null });
    // The tolerable oddities (position 5: a list given as text, a nested brand) are kept with notices.
    const notices = (await issuesOf(c.id)).filter((i) => i.severity === 'notice' && i.externalId === ids[5]);
    expect(notices.map((i) => i.code).sort()).toEqual(['list_invalid', 'string_invalid']);

    // The store is fixed: the four products come in and their errors are resolved.
    s.setFaults({});
    const again = await hub.run('fetch', c.id);
    expect(again.summary.fetch).toMatchObject({ scanned: 20, created: 4, invalid: 0 });
    expect((await issuesOf(c.id)).filter((i) => i.severity === 'error')).toEqual([]);
    expect((await connection(c.id)).equivalences).toEqual({ live: 20 });

    // Issues of products the hub holds are on their records: the product page shows them.
    const products = (await hub.api('GET', `/api/products?q=${encodeURIComponent('on "Wrong types"')}&limit=100`)).body.items as any[];
    const recordOf = (ext: string) => products.find((p) => p.equivalences.some((e: any) => e.connectionId === c.id && e.externalId === ext)).id;
    const notice = (await issuesOf(c.id)).find((i) => i.severity === 'notice' && i.externalId === ids[9]);
    expect(notice.code).toBe('currency_normalised');
    expect(notice.recordId).toBe(recordOf(ids[9]));
    s.setFaults({ wrongTypes: true });
    await hub.run('fetch', c.id);
    const broken = (await issuesOf(c.id)).filter((i) => i.severity === 'error');
    expect(broken).toHaveLength(4);
    for (const i of broken) expect(i.recordId).toBe(recordOf(i.externalId));
    const detail = (await hub.api('GET', `/api/products/${recordOf(ids[3])}`)).body;
    expect(detail.issues.map((i: any) => i.code)).toContain('invalid_variations');
    const withIssues = (await hub.api('GET', `/api/products?q=${encodeURIComponent('with issues')}&limit=100`)).body.items.map((p: any) => p.id);
    expect(withIssues).toEqual(expect.arrayContaining(broken.map((i) => i.recordId)));
  });

  it('turns a product that is not JSON into an error issue naming it, and imports the rest of its page', async () => {
    const s = await shop(catalog(700, 20));
    const c = await connectShop(hub, 'Not JSON products', s);
    s.setFaults({ notJsonProducts: true });
    const job = await hub.run('fetch', c.id);
    expect(job.state).toBe('completed');
    expect(job.summary.fetch).toMatchObject({ scanned: 18, created: 18, invalid: 2, complete: true });
    const ids = [...s.products.keys()];
    const errors = (await issuesOf(c.id)).filter((i) => i.severity === 'error');
    expect(errors.map((i) => i.externalId).sort()).toEqual([ids[4], ids[14]].sort());
    for (const i of errors) {
      expect(i.code).toBe('invalid_json');
      expect(i.message).toContain(`product ${i.externalId} as text that is not JSON`);
    }

    // Fixed: the two come in, their errors are resolved, and nothing else is read as changed.
    s.setFaults({});
    const again = await hub.run('fetch', c.id);
    expect(again.summary.fetch).toMatchObject({ scanned: 20, unchanged: 18, created: 2, invalid: 0 });
    expect((await issuesOf(c.id)).filter((i) => i.severity === 'error')).toEqual([]);
  });

  it.each(['repeat', 'total'] as const)('ends a scan whose paging lies (%s) as incomplete, with a warning', async (lie) => {
    const s = await shop(catalog(lie === 'repeat' ? 1000 : 1100, 25));
    const c = await connectShop(hub, `Lying ${lie}`, s);
    s.setFaults({ lyingPaging: lie });
    const job = await hub.run('fetch', c.id);
    expect(job.state).toBe('completed');
    expect(job.summary.fetch.complete).toBe(false);
    expect(job.summary.fetch.warning).toMatch(lie === 'repeat' ? /paging repeats itself/ : /said it has 1250 products but listed only 25/);
    expect(job.summary.fetch.scanned).toBe(lie === 'repeat' ? 10 : 25);
    const productScan = (i: any) => i.code === 'scan_incomplete' && /\bproducts\b/.test(i.message);
    const warning = (await issuesOf(c.id)).filter(productScan);
    expect(warning).toHaveLength(1);
    expect(warning[0]).toMatchObject({ severity: 'warning', connectionId: c.id });
    expect((await connection(c.id)).clocks.products.complete).toBe(false);

    s.setFaults({});
    const honest = await hub.run('fetch', c.id);
    expect(honest.summary.fetch).toMatchObject({ scanned: 25, complete: true });
    expect((await issuesOf(c.id)).filter(productScan)).toEqual([]);
    expect((await connection(c.id)).equivalences).toEqual({ live: 25 });
  });

  it('rides out 500s and a 429 with Retry-After', async () => {
    const s = await shop(catalog(1200, 30));
    const c = await connectShop(hub, 'Flaky', s);
    s.setFaults({ fail500: 3 });
    const after500 = await hub.run('fetch', c.id);
    expect(after500.state).toBe('completed');
    expect(after500.summary.fetch).toMatchObject({ scanned: 30, created: 30, complete: true });

    s.products.get([...s.products.keys()][0])!.title = 'Changed while limited';
    s.setFaults({ fail429: { count: 1, retryAfterSeconds: 1 } });
    const after429 = await hub.run('fetch', c.id);
    expect(after429.state).toBe('completed');
    expect(after429.summary.fetch).toMatchObject({ scanned: 30, changed: 1, complete: true });
  });

  it('fails with a clear error when 500s do not stop, and keeps the records', async () => {
    const s = await shop(catalog(1300, 10));
    const c = await connectShop(hub, 'Down', s);
    expect((await hub.run('fetch', c.id)).state).toBe('completed');
    s.setFaults({ fail500: 1000 });
    const job = await hub.run('fetch', c.id);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/HTTP 500/);
    expect((await connection(c.id)).equivalences).toEqual({ live: 10 });
  });
});
