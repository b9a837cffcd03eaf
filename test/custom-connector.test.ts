import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { custom, CustomConfig } from '../src/connectors/custom/index.js';
import { retryAfterMs } from '../src/connectors/retry.js';
import { connectorKinds, getConnectorDefinition } from '../src/connectors/registry.js';
import { ConnectorError, type Connector, type ReadEvent } from '../src/connectors/types.js';
import { Product } from '../src/model/product.js';
import { Order } from '../src/model/order.js';
import { startStorefront, type Storefront, type StorefrontOptions } from '../src/storefront/server.js';

const KEY = 'test-key-0123456789abcdef';
const log = pino({ level: 'silent' });

const open: Storefront[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function shop(opts: Partial<StorefrontOptions> = {}): Promise<Storefront> {
  const s = await startStorefront({ key: KEY, products: 250, ...opts });
  open.push(s);
  return s;
}

function connect(s: Storefront, config: Record<string, unknown> = {}, signal = new AbortController().signal): Connector {
  const parsed = CustomConfig.parse({
    productsUrl: s.productsUrl,
    ordersUrl: s.ordersUrl,
    key: KEY,
    timeoutMs: 2000,
    retries: 5,
    retryBaseMs: 10,
    ...config,
  });
  return custom.create(parsed, { log, signal });
}

async function collect<T>(events: AsyncIterable<ReadEvent<T>>) {
  const all: ReadEvent<T>[] = [];
  for await (const ev of events) all.push(ev);
  const records = all.filter((e): e is Extract<ReadEvent<T>, { type: 'record' }> => e.type === 'record');
  const invalid = all.filter((e): e is Extract<ReadEvent<T>, { type: 'invalid' }> => e.type === 'invalid');
  const checkpoints = all.filter((e): e is Extract<ReadEvent<T>, { type: 'checkpoint' }> => e.type === 'checkpoint');
  return { all, records, invalid, checkpoints, last: all[all.length - 1] };
}

/** Runs a read and returns what it threw, plus the records it yielded before. */
async function failingRead(events: AsyncIterable<ReadEvent<unknown>>) {
  let records = 0;
  try {
    for await (const ev of events) if (ev.type === 'record') records++;
  } catch (err) {
    return { err: err as ConnectorError, records };
  }
  throw new Error('the read was expected to fail');
}

describe('custom connector: definition and config', () => {
  it('is registered and generates a key when none is given', () => {
    expect(connectorKinds()).toContain('custom');
    expect(getConnectorDefinition('custom')).toBe(custom);
    expect(getConnectorDefinition('nope')).toBeUndefined();
    expect(getConnectorDefinition('toString')).toBeUndefined();
    expect(custom).toMatchObject({ kind: 'custom', label: 'Custom storefront', secretFields: ['key'] });

    const prepared = custom.prepareConfig!({ productsUrl: 'https://s.example.com/p', ordersUrl: 'https://s.example.com/o' });
    expect(prepared.key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const parsed = custom.configSchema.parse(prepared);
    expect(parsed).toMatchObject({ timeoutMs: 30000, retries: 5, retryBaseMs: 500, maxPages: 100000 });
    expect(custom.prepareConfig!({ key: 'given-key-123' }).key).toBe('given-key-123');
  });

  it('names the field in validation errors', () => {
    const missing = CustomConfig.safeParse({ ordersUrl: 'https://s.example.com/o', key: 'abcdefgh' });
    expect(missing.success).toBe(false);
    expect(missing.error!.issues[0].message).toContain('productsUrl');

    const bad = CustomConfig.safeParse({ productsUrl: 'ftp://x', ordersUrl: 'not a url', key: 'short', retries: 1.5 });
    const messages = bad.error!.issues.map((i) => i.message).join('\n');
    for (const field of ['productsUrl', 'ordersUrl', 'key', 'retries']) expect(messages).toContain(field);

    // An optional write URL left empty in a form is simply absent.
    const empty = CustomConfig.parse({ productsUrl: 'https://s.example.com/p', ordersUrl: 'https://s.example.com/o', key: 'abcdefgh', productsWriteUrl: '' });
    expect(empty.productsWriteUrl).toBeUndefined();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(10_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

describe('custom connector: reading products', () => {
  it('reads every product across pages, mapped, with the total first and a complete checkpoint last', async () => {
    const s = await shop({ products: 250, pageSize: 100 });
    const { all, records, invalid, checkpoints, last } = await collect(connect(s).read('products', null));

    expect(all[0]).toEqual({ type: 'total', total: 250 });
    expect(checkpoints).toHaveLength(1);
    expect(invalid).toEqual([]);
    expect(records.map((r) => r.externalId)).toEqual([...s.products.keys()]);
    expect(last).toMatchObject({ type: 'checkpoint', complete: true });
    expect(Date.parse(String(checkpoints[0].cursor.scannedAt))).not.toBeNaN();

    // Product 0: prices and quantities arrive as strings.
    const store0 = s.products.get(records[0].externalId)!;
    const r0 = records[0].record;
    expect(Product.safeParse(r0).success).toBe(true);
    expect(r0.title).toBe(store0.title);
    expect(r0.tags).toEqual(store0.tags!.map((t) => t.value));
    expect(r0.categories).toEqual(store0.categories);
    expect(r0.variations.map((v) => v.id)).toEqual(store0.variations!.map((v) => v._id));
    const sv = store0.variations![0];
    expect(typeof sv.availabilities![0].quantity).toBe('string');
    expect(r0.variations[0].availabilities[0].quantity).toBe(Number(sv.availabilities![0].quantity));
    expect(r0.variations[0].prices[0]).toEqual({ tag: 'default', currency: 'USD', amount: Number(sv.prices![0].number) });
    expect(r0.variations[0].images).toEqual([sv.images![0].url]);
    expect(records[0].notices).toEqual([]);

    // Product 9 is priced in "MX": read as MXN, with a notice.
    const r9 = records[9];
    expect(r9.record.variations.every((v) => v.prices[0].currency === 'MXN')).toBe(true);
    expect(r9.notices.map((n) => n.code)).toContain('currency_normalised');
  });

  it('pages until an empty page when the store gives no total', async () => {
    const s = await shop({ products: 5, pageSize: 2, faults: { omitTotal: true } });
    const { all, records, last } = await collect(connect(s).read('products', null));
    expect(all.some((e) => e.type === 'total')).toBe(false);
    expect(records).toHaveLength(5);
    expect(last).toMatchObject({ type: 'checkpoint', complete: true });
  });

  it('stops once it has itemsTotal products when that is an exact multiple of the page size', async () => {
    const s = await shop({ products: 4, pageSize: 2 });
    const { records, last } = await collect(connect(s).read('products', null));
    expect(records).toHaveLength(4);
    expect(last).toMatchObject({ complete: true });
  });

  it('identifies variations without _id by position, and updates them by position', async () => {
    const s = await shop({
      products: [
        {
          _id: 'p1',
          sku: 'P1',
          title: 'No variation ids',
          variations: [
            { sku: 'P1-A', availabilities: [{ tag: 'default', quantity: '1' }] },
            { sku: 'P1-B', availabilities: [{ tag: 'default', quantity: '2' }] },
          ],
        },
      ],
    });
    const c = connect(s);
    const { records } = await collect(c.read('products', null));
    expect(records[0].record.variations.map((v) => v.id)).toEqual(['0', '1']);

    await c.write!('products', {
      type: 'update',
      externalId: 'p1',
      record: records[0].record,
      patch: { fields: {}, variations: [{ id: '1', index: 1, sku: '', changes: { availabilities: [{ tag: 'default', quantity: 9 }] } }] },
    });
    const stored = s.products.get('p1')!;
    expect(stored.variations!.map((v) => v.availabilities![0].quantity)).toEqual(['1', 9]);
    expect(stored.variations!.every((v) => v._id === undefined)).toBe(true);
  });

  it('refuses data from a response with another key, or none, and never shows the key', async () => {
    const s = await shop({ faults: { wrongKey: true } });
    const wrong = await failingRead(connect(s).read('products', null));
    expect(wrong.err).toBeInstanceOf(ConnectorError);
    expect(wrong.err.kind).toBe('config');
    expect(wrong.err.message).toMatch(/another shop/);
    expect(wrong.records).toBe(0);

    s.setFaults({ missingKey: true });
    const missing = await failingRead(connect(s).read('products', null));
    expect(missing.err.kind).toBe('config');
    expect(missing.records).toBe(0);

    for (const err of [wrong.err, missing.err]) {
      expect(err.message).not.toContain(KEY);
      expect(String(err.detail)).not.toContain(KEY);
    }
  });

  it('reports a key the store refuses as an auth error, without retrying', async () => {
    const s = await shop();
    const started = Date.now();
    const { err } = await failingRead(connect(s, { key: 'some-other-key-123', retryBaseMs: 1000 }).read('products', null));
    expect(err.kind).toBe('auth');
    expect(err.message).not.toContain('some-other-key-123');
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('retries a page that is not JSON and recovers', async () => {
    const s = await shop({ faults: { garbageJson: 2 } });
    const { records, last } = await collect(connect(s).read('products', null));
    expect(records).toHaveLength(250);
    expect(last).toMatchObject({ complete: true });
  });

  it('gives up on a store that keeps answering something that is not JSON, saying what it got', async () => {
    const s = await shop({ faults: { garbageJson: 1000 } });
    const { err, records } = await failingRead(connect(s).read('products', null));
    expect(err.kind).toBe('invalid_data');
    expect(err.message).toContain(s.productsUrl);
    expect(err.message).toContain('{\\"paging\\"');
    expect(records).toBe(0);
  });

  it('turns products it cannot understand into invalid events and reads the rest', async () => {
    const s = await shop({ products: 50, faults: { wrongTypes: true } });
    const { records, invalid, last } = await collect(connect(s).read('products', null));
    expect(invalid).toHaveLength(10);
    expect(records).toHaveLength(40);
    const ids = [...s.products.keys()];
    expect(invalid.map((e) => e.externalId)).toEqual(ids.filter((_, i) => i % 10 === 3 || i % 10 === 7));
    expect(invalid.find((e) => e.externalId === ids[3])!.message).toContain('variations');
    expect(invalid.find((e) => e.externalId === ids[7])!.message).toContain('quantity');
    // Tolerable oddities (numeric title, tags as a string) keep the record, with notices.
    const odd = records.find((r) => r.externalId === ids[5])!;
    expect(odd.record.title).toBe('12345');
    expect(odd.notices.length).toBeGreaterThan(0);
    expect(last).toMatchObject({ type: 'checkpoint', complete: true });
  });

  it('ends a read as incomplete when the store repeats the same page forever', async () => {
    const s = await shop({ products: 250, faults: { lyingPaging: 'repeat' } });
    const { records, last } = await collect(connect(s).read('products', null));
    expect(records).toHaveLength(100);
    expect(last).toMatchObject({ type: 'checkpoint', complete: false });
    expect((last as { warning?: string }).warning).toMatch(/repeats/);
  });

  it('ends a read as incomplete when the store claims far more products than it lists', async () => {
    const s = await shop({ products: 250, faults: { lyingPaging: 'total' } });
    const { all, records, last } = await collect(connect(s).read('products', null));
    expect(all[0]).toEqual({ type: 'total', total: 3500 });
    expect(records).toHaveLength(250);
    expect(last).toMatchObject({ type: 'checkpoint', complete: false });
    expect((last as { warning?: string }).warning).toMatch(/3500/);
  });

  it('ends a read as incomplete at maxPages', async () => {
    const s = await shop({ products: 250 });
    const { records, last } = await collect(connect(s, { maxPages: 2 }).read('products', null));
    expect(records).toHaveLength(200);
    expect(last).toMatchObject({ type: 'checkpoint', complete: false });
  });

  it('retries 500s and succeeds', async () => {
    const s = await shop({ faults: { fail500: 3 } });
    const { records, last } = await collect(connect(s).read('products', null));
    expect(records).toHaveLength(250);
    expect(last).toMatchObject({ complete: true });
  });

  it('gives up after the configured retries with a transient error', async () => {
    const s = await shop({ faults: { fail500: 100 } });
    const { err } = await failingRead(connect(s, { retries: 2 }).read('products', null));
    expect(err.kind).toBe('transient');
    expect(err.retryable).toBe(true);
  });

  it('waits at least Retry-After on a 429, then succeeds', async () => {
    const s = await shop({ faults: { fail429: { count: 1, retryAfterSeconds: 1 } } });
    const started = Date.now();
    const { records } = await collect(connect(s).read('products', null));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(records).toHaveLength(250);
  });

  it('treats a store that does not answer in time as transient', async () => {
    // undici checks header timeouts on a coarse (~0.5 s) clock, so the store is made much slower than the timeout.
    const s = await shop({ faults: { delayMs: 2500 } });
    const { err } = await failingRead(connect(s, { timeoutMs: 1000, retries: 0 }).read('products', null));
    expect(err.kind).toBe('transient');
    expect(err.message).toMatch(/did not answer/);
  });

  it('stops a read when the signal is aborted, also while waiting to retry', async () => {
    const s = await shop({ faults: { delayMs: 2000 } });
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 50);
    const slow = await failingRead(connect(s, {}, ac.signal).read('products', null));
    expect((slow.err as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(1000);

    s.setFaults({ fail429: { count: 1, retryAfterSeconds: 30 } });
    const ac2 = new AbortController();
    const started2 = Date.now();
    setTimeout(() => ac2.abort(), 100);
    const waiting = await failingRead(connect(s, {}, ac2.signal).read('products', null));
    expect((waiting.err as Error).name).toBe('AbortError');
    expect(Date.now() - started2).toBeLessThan(1000);
  });

  it('turns a list URL that does not exist into a config error', async () => {
    const s = await shop();
    const { err } = await failingRead(connect(s, { productsUrl: `${s.url}/api/nothing-here` }).read('products', null));
    expect(err.kind).toBe('config');
    expect(err.message).toContain('products URL');
  });
});

describe('custom connector: check', () => {
  it('is a value, never an exception', async () => {
    const s = await shop();
    expect(await connect(s).check()).toEqual({ ok: true });

    s.setFaults({ wrongKey: true });
    const wrong = await connect(s).check();
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) expect(wrong.error.kind).toBe('config');

    const url = s.url;
    await s.close();
    open.splice(open.indexOf(s), 1);
    const gone = await connect({ ...s, productsUrl: `${url}/api/product` }, { retries: 0 }).check();
    expect(gone.ok).toBe(false);
    if (!gone.ok) expect(gone.error.kind).toBe('transient');
  });
});

describe('custom connector: writing products', () => {
  const newProduct = Product.parse({
    sku: 'CS-TEE-1',
    title: 'Channelsync Tee',
    brand: 'Channelsync',
    tags: ['merch'],
    variations: [
      { sku: 'CS-TEE-1-S', size: 'S', availabilities: [{ tag: 'default', quantity: 4 }], prices: [{ tag: 'default', currency: 'EUR', amount: 20 }] },
      { sku: 'CS-TEE-1-M', size: 'M', availabilities: [{ tag: 'default', quantity: 7 }], prices: [{ tag: 'default', currency: 'EUR', amount: 20 }] },
    ],
  });

  it('creates a product and updates it with only the changed fields', async () => {
    const s = await shop({ products: 3 });
    const c = connect(s);

    const created = await c.write!('products', { type: 'create', record: newProduct });
    expect(s.products.has(created.externalId)).toBe(true);
    expect(s.requests[0]).toMatchObject({ method: 'POST', path: '/api/product' });
    expect(s.requests[0].body).not.toHaveProperty('_id');
    expect(created.record).toMatchObject({ sku: 'CS-TEE-1', title: 'Channelsync Tee', tags: ['merch'] });
    const vids = created.record!.variations.map((v) => v.id!);
    expect(vids).toHaveLength(2);
    expect(vids.every((id) => /-\d+$/.test(id))).toBe(true);

    const updated = await c.write!('products', {
      type: 'update',
      externalId: created.externalId,
      record: created.record!,
      patch: {
        fields: { title: 'Channelsync Tee v2' },
        variations: [{ id: vids[1], index: 1, sku: 'CS-TEE-1-M', changes: { availabilities: [{ tag: 'default', quantity: 2 }] } }],
      },
    });
    expect(s.requests[1]).toEqual({
      method: 'POST',
      path: `/api/product/${created.externalId}`,
      body: {
        title: 'Channelsync Tee v2',
        variations: [{ _id: vids[1], sku: 'CS-TEE-1-M', availabilities: [{ tag: 'default', quantity: 2 }] }],
      },
    });
    expect(updated.externalId).toBe(created.externalId);
    expect(updated.record).toMatchObject({ title: 'Channelsync Tee v2', brand: 'Channelsync' });
    expect(updated.record!.variations.map((v) => v.availabilities[0].quantity)).toEqual([4, 2]);
    expect(updated.record!.variations[1].prices).toEqual([{ tag: 'default', currency: 'EUR', amount: 20 }]);
  });

  it('sends writes to the separate write URL when there is one', async () => {
    const s = await shop({ products: 1 });
    const c = connect(s, { productsUrl: `${s.url}/api/nothing-here`, productsWriteUrl: s.productsUrl });
    const created = await c.write!('products', { type: 'create', record: newProduct });
    expect(s.products.has(created.externalId)).toBe(true);
  });

  it('reports an update of a product the store does not have as not_found', async () => {
    const s = await shop({ products: 1 });
    await expect(
      connect(s).write!('products', { type: 'update', externalId: 'no such/id', record: newProduct, patch: { fields: { title: 'x' }, variations: [] } }),
    ).rejects.toMatchObject({ kind: 'not_found' });
    expect(s.requests[0].path).toBe('/api/product/no%20such%2Fid');
  });

  it('never repeats a create whose answer was lost, so the store has no duplicate', async () => {
    const s = await shop({ products: 2, faults: { failCreateAfterStore: 1 } });
    await expect(connect(s).write!('products', { type: 'create', record: newProduct })).rejects.toMatchObject({
      kind: 'transient',
      message: expect.stringMatching(/may or may not/),
    });
    expect(s.requests).toHaveLength(1);
    expect([...s.products.values()].filter((p) => p.sku === 'CS-TEE-1')).toHaveLength(1);
  });

  it('retries a create the store turned away with 429', async () => {
    const s = await shop({ products: 0, faults: { fail429: { count: 1, retryAfterSeconds: 0 } } });
    const created = await connect(s).write!('products', { type: 'create', record: newProduct });
    expect(s.products.size).toBe(1);
    expect(s.products.has(created.externalId)).toBe(true);
  });
});

describe('custom connector: orders', () => {
  it('reads universal orders across pages, creates one and updates only its status and shipments', async () => {
    const s = await shop({ products: 20, orders: 30, pageSize: 7 });
    const c = connect(s);
    const { all, records, last } = await collect(c.read('orders', null));
    expect(all[0]).toEqual({ type: 'total', total: 30 });
    expect(records.map((r) => r.externalId)).toEqual([...s.orders.keys()]);
    const raw = s.orders.get(records[0].externalId)!;
    expect(Order.parse(records[0].record)).toEqual(records[0].record);
    expect(records[0].record).toMatchObject({
      number: raw.orderid,
      lines: (raw.orderItems as Array<Record<string, string>>).map((i) => ({
        productId: i.id, variationId: i.variation_id, quantity: Number(i.quantity), unitPrice: Number(i.unitPrice),
      })),
    });
    expect(last).toMatchObject({ type: 'checkpoint', complete: true });

    const order = Order.parse({
      number: 'MKT-1', status: 'paid', currency: 'MXN', totals: { total: 350 },
      lines: [{ productId: '1000001', variationId: '1000001-1', sku: 'A-1', quantity: 1, unitPrice: 350 }],
    });
    const created = await c.write!('orders', { type: 'create', record: order });
    expect(s.orders.get(created.externalId)).toMatchObject({
      orderid: 'MKT-1', status: 'payed', total: { amount: 350, currency: 'MXN' },
      orderItems: [{ id: '1000001', variation_id: '1000001-1', sku: 'A-1', quantity: 1, unitPrice: 350, currencyId: 'MXN' }],
    });
    expect(created.record).toEqual(order);

    const shipments = [{ carrier: 'DHL', trackingNumber: 'JD0001', labelUrl: '', date: '2026-01-02T00:00:00.000Z' }];
    const updated = await c.write!('orders', { type: 'update', externalId: created.externalId, record: order, patch: { status: 'shipped', shipments } });
    expect(s.requests.at(-1)).toEqual({ method: 'POST', path: `/api/order/${created.externalId}`, body: { status: 'shipped', shipments } });
    expect(updated).toMatchObject({ externalId: created.externalId, record: { ...order, status: 'shipped', shipments } });
  });
});
