/**
 * What it costs a send to ask whether an absorbing connection is owed any create: the
 * stateless check (anyUnplanned, src/engine/unplanned.ts) that replaced a remembered mark,
 * at N products all held by the connection (its worst case: it reads them all), on PGlite
 * and PostgreSQL.
 * Prints figures; it is not a test.
 *
 *   npx tsx bench/owed.bench.ts                 # 100k, both databases
 *   npx tsx bench/owed.bench.ts --products 10000 --db pglite
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../src/db/index.js';
import { openTestDatabase, type DbKind } from '../test/helpers/hub.js';
import { anyUnplanned } from '../src/engine/unplanned.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const N = Number(arg('products', '100000'));
const kinds = arg('db', 'pglite,postgres').split(',') as DbKind[];

async function seed(db: Database): Promise<string> {
  const [{ id }] = await db.rows<{ id: string }>(sql`insert into connections (name, kind, config, settings)
    values ('Absorbs', 'custom', '{}'::jsonb, '{"absorb":{"products":true}}'::jsonb) returning id`);
  for (let done = 0; done < N; done += 10_000) {
    const n = Math.min(10_000, N - done);
    await db.tx(async (tx) => {
      await db.rows(sql`insert into records (entity, sku, data)
        select 'product', 'SKU-' || g, jsonb_build_object('sku', 'SKU-' || g, 'title', 'Product ' || g, 'variations', '[]'::jsonb)
        from generate_series(${done + 1}::int, ${done + n}::int) g`, tx);
      await db.rows(sql`insert into equivalences (connection_id, record_id, entity, external_id, status)
        select ${id}::uuid, r.id, 'product', r.sku, 'live' from records r
        where r.entity = 'product' and not exists (select 1 from equivalences e where e.record_id = r.id)`, tx);
    });
  }
  await db.rows(sql`analyze`);
  return id;
}

async function measure(kind: DbKind): Promise<{ kind: string; medianMs: number; maxMs: number; owed: boolean }> {
  const { db, drop } = await openTestDatabase(kind);
  try {
    const connectionId = await seed(db);
    const times: number[] = [];
    let owed = true;
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      owed = await anyUnplanned(db, connectionId);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    if (args.includes('--explain')) {
      const plan = await db.rows<Record<string, string>>(sql`explain analyze select exists (select 1 from record_facts f where f.entity = 'product'
        and not exists (select 1 from listing_facts l where l.connection_id = ${connectionId}::uuid and l.record_id = f.id))`);
      console.log(plan.map((r) => Object.values(r)[0]).join('\n'));
    }
    return { kind, medianMs: times[3], maxMs: times[6], owed };
  } finally {
    await drop();
  }
}

console.log(`| db | products | owed check, median ms | slowest of 7, ms | owed |`);
console.log(`|---|---|---|---|---|`);
for (const kind of kinds) {
  const r = await measure(kind);
  console.log(`| ${r.kind} | ${N.toLocaleString('en')} | ${r.medianMs.toFixed(1)} | ${r.maxMs.toFixed(1)} | ${r.owed} |`);
}
