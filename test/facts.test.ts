import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DATABASES, openTestDatabase } from './helpers/hub.js';
import type { Database } from '../src/db/index.js';
import { Product } from '../src/model/product.js';
import { insertProductRecords, productFacts } from '../src/engine/facts.js';
import { demoProduct } from '../src/storefront/catalog.js';
import { fromStore } from '../src/connectors/custom/product.mapper.js';

/**
 * The facts a first fetch writes itself (src/engine/facts.ts) must be the facts the
 * trigger writes for any other insert: the set language reads them.
 */
const v = (x: Record<string, unknown>) => ({ availabilities: [], prices: [], images: [], videos: [], ...x });
const CORPUS: Product[] = [
  ...Array.from({ length: 40 }, (_, i) => {
    const r = fromStore(demoProduct(i * 7));
    if (!r.ok) throw new Error('demo product did not read');
    return r.record;
  }),
  Product.parse({}),
  Product.parse({ sku: 'X', brand: '  Ünïcode Brand  ', categories: ['Äudio', 'HOME > Garden'], tags: ['a'], deliveryDays: 3 }),
  Product.parse({ sku: 'TAB', brand: '\tTabbed ', variations: [v({ sku: '', size: '', color: 'Weiß' })] }),
  Product.parse({ sku: 'FRAC', variations: [
    v({ sku: 'F1', availabilities: [{ tag: 'default', quantity: 1 }, { tag: 'b', quantity: 2 }], prices: [{ tag: 'default', currency: 'EUR', amount: 0.1 }] }),
    v({ sku: 'F2', availabilities: [{ tag: 'default', quantity: 0 }], prices: [{ tag: 'default', currency: 'EUR', amount: 0.05 }, { tag: 'x', currency: 'EUR', amount: 9 }] }),
  ] }),
  Product.parse({ sku: 'UNPRICED', variations: [
    v({ sku: 'U1', prices: [{ tag: 'default', currency: 'USD', amount: 5 }] }), v({ sku: 'U2', barcode: '123', images: ['i'], videos: ['v'] }),
  ] }),
  Product.parse({ sku: 'BIG', status: 'unpublished', variations: [v({ availabilities: [{ tag: 'default', quantity: 9007199254740991 }, { tag: 'b', quantity: 10 }] })] }),
];

describe.each(DATABASES)('product facts written by the app (%s)', (kind) => {
  let db: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => { ({ db, drop } = await openTestDatabase(kind)); });
  afterAll(async () => { await drop?.(); });

  it('are the facts the trigger computes, for every product of the corpus', async () => {
    const byApp = CORPUS.map((data) => ({ id: crypto.randomUUID(), sku: data.sku, data }));
    const byTrigger = CORPUS.map((data) => ({ id: crypto.randomUUID(), sku: data.sku, data }));
    await db.tx(async (tx) => {
      await db.rows(insertProductRecords(byApp, null), tx);
      await db.rows(sql`insert into records (id, entity, sku, data)
        select id, 'product', sku, data from jsonb_to_recordset(${JSON.stringify(byTrigger)}::jsonb) as x(id uuid, sku text, data jsonb)`, tx);
    });
    const facts = async (ids: string[]) => {
      const rows = await db.rows<Record<string, unknown>>(sql`
        select f.id, f.entity, f.sku, f.has, f.facts, f.stock_total::text as stock_total, f.price_min::text as price_min, f.status, f.date_created
        from record_facts f where f.id = any(${`{${ids.join(',')}}`}::uuid[])`);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => { const { id: _, ...rest } = byId.get(id)!; return rest; });
    };
    const app = await facts(byApp.map((r) => r.id));
    const trigger = await facts(byTrigger.map((r) => r.id));
    expect(app).toHaveLength(CORPUS.length);
    for (let i = 0; i < CORPUS.length; i++) expect(app[i], `product ${i} (${CORPUS[i].sku})`).toEqual(trigger[i]);
    // The corpus reaches the cases that differ: a total past 2^53, decimal prices, a missing price.
    expect(app.find((f, i) => CORPUS[i].sku === 'BIG')!.stock_total).toBe('9007199254741001');
    expect(app.find((f, i) => CORPUS[i].sku === 'FRAC')!.price_min).toBe('0.05');
    expect(app.find((f, i) => CORPUS[i].sku === 'UNPRICED')!.price_min).toBeNull();
    expect(new Set(app.map((f) => f.has)).size).toBeGreaterThan(3);
  });

  it('leaves a sum it cannot make exactly to the database', () => {
    expect(productFacts(CORPUS.find((p) => p.sku === 'FRAC')!).stock).toBe(3);
    expect(productFacts(CORPUS.find((p) => p.sku === 'BIG')!).stock).toBeNull();
    expect(productFacts(CORPUS[0]).stock).toBeGreaterThan(0);
  });
});
