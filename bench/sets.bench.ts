/**
 * The sets benchmark (issue 4): every kind of set expression over 100,000 products
 * (and 20,000 orders), answered the way GET /api/products answers it (page + total),
 * on PGlite and on PostgreSQL. Target: each under 300 ms. Prints figures; not a test.
 *
 *   npx tsx bench/sets.bench.ts                          # both databases, 100k products
 *   npx tsx bench/sets.bench.ts --db pglite --products 20000
 *
 * The catalog is seeded directly with batched SQL (no storefront, no fetch): two
 * connections, listings with acknowledged states, pending changes and issues.
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import pg from 'pg';
import pino from 'pino';
import { openDatabase, sql, type Database } from '../src/db/index.js';
import type { Hub } from '../src/hub.js';
import { listRecords } from '../src/engine/records.js';
import type { Product } from '../src/model/product.js';

const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const PRODUCTS = Number(arg('products', '100000'));
const ORDERS = Math.round(PRODUCTS / 5);
const TARGET_MS = 300;
const BATCH = 5000;

const BRANDS = ['JBL', 'Sony', 'Bose', 'Yamaha', 'Shure', 'Sennheiser', 'Pioneer', 'Behringer', 'Marshall', 'Fender'];
const SIZES = ['S', 'M', 'L', 'XL', 'One size'];
const COLORS = ['Black', 'White', 'Red', 'Blue', 'Grey'];
const CATEGORIES = ['Audio', 'Speakers', 'Headphones', 'Microphones', 'DJ', 'Guitars'];

/** A deterministic product: 1 to 4 variations; some without barcode, images, stock or price. */
function product(i: number): Product {
  const n = 1 + (i % 4);
  return {
    sku: `SKU-${String(i).padStart(6, '0')}`,
    title: `${BRANDS[i % BRANDS.length]} product ${i}`,
    description: i % 13 === 0 ? '' : `Product number ${i}, free returns within 30 days.`,
    brand: i % 29 === 0 ? '' : BRANDS[i % BRANDS.length],
    mpn: `MPN${i}`,
    model: `M${i % 900}`,
    url: `https://shop.example.com/p/${i}`,
    tags: i % 3 === 0 ? ['sale'] : [],
    categories: i % 17 === 0 ? [] : [CATEGORIES[i % CATEGORIES.length]],
    status: i % 11 === 0 ? 'unpublished' : 'published',
    deliveryDays: null,
    variations: Array.from({ length: n }, (_, j) => ({
      sku: `SKU-${String(i).padStart(6, '0')}-${j}`,
      barcode: (i + j) % 7 === 0 ? '' : `750${String(i * 10 + j).padStart(9, '0')}`,
      size: SIZES[(i + j) % SIZES.length],
      color: COLORS[(i * 3 + j) % COLORS.length],
      images: i % 5 === 0 ? [] : [`https://cdn.example.com/p/${i}/${j}.jpg`],
      videos: [],
      availabilities: [{ tag: 'default', quantity: (i * 7 + j * 13) % 23 === 0 ? 0 : ((i * 7 + j * 13) % 40) }],
      prices: i % 101 === 0 && j === 0 ? [] : [{ tag: 'default', currency: 'USD', amount: i % 211 === 0 ? 0.5 : 10 + (i % 500) }],
    })),
  };
}

async function seed(db: Database): Promise<void> {
  const [a] = await db.rows<{ id: string }>(sql`insert into connections (name, kind, config, settings)
    values ('Shop A', 'custom', '{}'::jsonb, '{}'::jsonb) returning id`);
  const [b] = await db.rows<{ id: string }>(sql`insert into connections (name, kind, config, settings)
    values ('Shop B', 'custom', '{}'::jsonb, '{"absorb":{"products":true}}'::jsonb) returning id`);
  for (let start = 0; start < PRODUCTS; start += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, PRODUCTS - start) }, (_, k) => {
      const i = start + k;
      const data = product(i);
      return { id: crypto.randomUUID(), i, sku: data.sku, data };
    });
    await db.tx(async (tx) => {
      await db.rows(sql`insert into records (id, entity, sku, data, source_connection_id)
        select id, 'product', sku, data, ${a.id}::uuid from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id uuid, sku text, data jsonb)`, tx);
      // Every product listed on A (its source), with A's acknowledged state.
      await db.rows(sql`insert into equivalences (connection_id, record_id, entity, external_id, ack, status, last_seen_at)
        select ${a.id}::uuid, id, 'product', 'a' || i, data, 'live', now()
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id uuid, i int, data jsonb)`, tx);
      // On B: 60% listed (a tenth of them with a pending update), 20% waiting to be created, 20% not there.
      const onB = rows.filter((r) => r.i % 5 !== 4).map((r) => ({
        record_id: r.id, external_id: r.i % 5 === 3 ? null : `b${r.i}`,
        status: r.i % 5 === 3 ? 'pending_insert' : r.i % 10 === 1 ? 'pending_update' : 'live',
        ack: r.i % 5 === 3 ? null : { ...r.data, categories: r.i % 7 === 0 ? [] : r.data.categories, status: r.i % 9 === 0 ? 'unpublished' : 'published' },
      }));
      const eqs = await db.rows<{ id: string; record_id: string; status: string }>(sql`
        insert into equivalences (connection_id, record_id, entity, external_id, ack, status, last_seen_at)
        select ${b.id}::uuid, record_id, 'product', external_id, ack, status, now()
        from jsonb_to_recordset(${JSON.stringify(onB)}::jsonb) as x(record_id uuid, external_id text, ack jsonb, status text)
        returning id, record_id, status`, tx);
      const pending = eqs.filter((e) => e.status !== 'live').map((e) => ({
        equivalence_id: e.id, record_id: e.record_id, op: e.status === 'pending_insert' ? 'insert' : 'update',
      }));
      await db.rows(sql`insert into pending_changes (equivalence_id, connection_id, record_id, op, changes)
        select equivalence_id, ${b.id}::uuid, record_id, op, '[]'::jsonb
        from jsonb_to_recordset(${JSON.stringify(pending)}::jsonb) as x(equivalence_id uuid, record_id uuid, op text)`, tx);
      // One product in twenty has an open issue: half by record, half (as a fetch raises them) by external id.
      const issues = rows.filter((r) => r.i % 20 === 0).map((r) => ({
        record_id: r.i % 40 === 0 ? r.id : null, external_id: r.i % 40 === 0 ? null : `a${r.i}`,
        severity: r.i % 60 === 0 ? 'warning' : 'error', dedupe_key: `bench|${r.i}`,
      }));
      await db.rows(sql`insert into issues (connection_id, record_id, entity, external_id, severity, code, message, origin, dedupe_key)
        select ${a.id}::uuid, record_id, 'product', external_id, severity, 'bench', 'A benchmark issue', 'fetch', dedupe_key
        from jsonb_to_recordset(${JSON.stringify(issues)}::jsonb) as x(record_id uuid, external_id text, severity text, dedupe_key text)`, tx);
    });
  }
  const now = Date.now();
  for (let start = 0; start < ORDERS; start += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, ORDERS - start) }, (_, k) => {
      const i = start + k;
      // Spread over the last two years, a few today.
      return { id: crypto.randomUUID(), i, data: { number: String(900000 + i), status: 'paid', dateCreated: new Date(now - (i % 730) * 86_400_000 - (i % 24) * 3_600_000).toISOString() } };
    });
    await db.tx(async (tx) => {
      await db.rows(sql`insert into records (id, entity, sku, data)
        select id, 'order', '', data from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id uuid, data jsonb)`, tx);
      await db.rows(sql`insert into equivalences (connection_id, record_id, entity, external_id, ack, status)
        select ${a.id}::uuid, id, 'order', 'o' || i, data, case when i % 10 = 0 then 'pending_update' else 'live' end
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id uuid, i int, data jsonb)`, tx);
      await db.rows(sql`insert into pending_changes (equivalence_id, connection_id, record_id, op, changes)
        select e.id, e.connection_id, e.record_id, 'update', '[]'::jsonb from equivalences e
        where e.entity = 'order' and e.status = 'pending_update' and e.record_id in (select (x->>'id')::uuid from jsonb_array_elements(${JSON.stringify(rows)}::jsonb) x)`, tx);
    });
  }
  await db.rows(sql`analyze`);
}

const PRODUCT_SETS = [
  '',
  'on "Shop A"', 'on custom', 'not on "Shop B"', 'gone from "Shop A"',
  'on "Shop B" category Audio', 'without "Shop B" category',
  'active on "Shop B"', 'paused on "Shop B"', 'published on "Shop B"', 'unpublished on "Shop B"',
  'with pending updates to "Shop B"', 'with pending creates to "Shop B"', 'with pending updates',
  'with issues', 'without issues', 'with errors',
  'with low-stock', 'out-of-stock', 'with stock', 'with low-price', 'bad price',
  'with barcode', 'without barcode', 'with images', 'without images', 'without brand', 'without description', 'with tags',
  'of brand JBL', 'of size XL', 'of color black', 'of category audio', 'sku SKU-004242',
  'of brand JBL, without barcode, with low-stock, on "Shop B"',
  'of brand Sony, with stock, of size M, without images, on "Shop A", without issues',
  'with pending creates to "Shop B", bad price',
];
const ORDER_SETS = ['', 'on "Shop A"', 'with pending updates to "Shop A"', 'of today', 'of yesterday', 'of last week',
  'of this month', 'of this year', `of ${new Date().getFullYear()} ${new Date().getMonth() + 1}`, `of ${new Date().getFullYear() - 1}`];

async function run(kind: 'pglite' | 'postgres'): Promise<{ kind: string; slowest: number; over: string[] }> {
  let drop: (() => Promise<void>) | null = null;
  let db: Database;
  if (kind === 'postgres') {
    const name = `cs_bench_${crypto.randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${name}`;
    db = await openDatabase({ databaseUrl: url.toString() });
    drop = async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  } else {
    db = await openDatabase({ dataDir: 'memory://' });
  }
  try {
    const t0 = Date.now();
    await seed(db);
    console.log(`\n${kind}: seeded ${PRODUCTS} products and ${ORDERS} orders in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const hub = { db, log: pino({ level: 'silent' }), events: new EventEmitter(), owner: 'bench' } as unknown as Hub;
    const over: string[] = [];
    let slowest = 0;
    for (const [entity, sets] of [['product', PRODUCT_SETS], ['order', ORDER_SETS]] as const) {
      for (const q of sets) {
        await listRecords(hub, { entity, q, limit: 50 });
        const times: number[] = [];
        let total = 0;
        for (let k = 0; k < 5; k++) {
          const t = performance.now();
          total = (await listRecords(hub, { entity, q, limit: 50 })).total;
          times.push(performance.now() - t);
        }
        times.sort((x, y) => x - y);
        const median = times[2];
        slowest = Math.max(slowest, median);
        if (median > TARGET_MS) over.push(q);
        console.log(`  ${entity}s ${JSON.stringify(q).padEnd(92)} ${String(total).padStart(7)}  ${median.toFixed(0).padStart(5)} ms${median > TARGET_MS ? '  OVER' : ''}`);
      }
    }
    return { kind, slowest, over };
  } finally {
    await db.close();
    await drop?.();
  }
}

const kinds = arg('db', 'both') === 'both' ? (['pglite', 'postgres'] as const) : [arg('db', 'pglite') as 'pglite' | 'postgres'];
const results = [];
for (const k of kinds) results.push(await run(k));
console.log('\nmedian of 5, GET /api/products path (page of 50 + total), target under 300 ms:');
for (const r of results) console.log(`  ${r.kind}: slowest ${r.slowest.toFixed(0)} ms; over target: ${r.over.length ? r.over.join(' | ') : 'none'}`);
