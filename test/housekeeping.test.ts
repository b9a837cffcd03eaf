import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DATABASES, openTestDatabase } from './helpers/hub.js';
import type { Database } from '../src/db/index.js';

/** The planner's idea of a table's size, from its last ANALYZE (-1 or 0: never analysed). */
async function reltuples(db: Database, table: string): Promise<number> {
  const [row] = await db.rows<{ n: number }>(sql`select reltuples::int8 as n from pg_class where relname = ${table}`);
  return Number(row.n);
}

describe.each(DATABASES)('housekeeping after bulk writes (%s)', (kind) => {
  let db: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => { ({ db, drop } = await openTestDatabase(kind)); });
  afterAll(async () => { await drop?.(); });

  it('analyses the hot tables once enough was written, and not before', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ id: crypto.randomUUID(), sku: `HK-${i}` }));
    await db.rows(sql`insert into records (id, entity, sku, data)
      select id, 'product', sku, '{}'::jsonb from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id uuid, sku text)`);
    db.housekeeping.noteWrites(100);
    await db.housekeeping.maybeRun();
    expect(await reltuples(db, 'records')).toBeLessThan(3000);
    db.housekeeping.noteWrites(3000);
    await db.housekeeping.maybeRun();
    expect(await reltuples(db, 'records')).toBe(3000);
  });

  it('vacuums the listings at the end of a job that wrote in bulk, on the embedded database', async () => {
    const [conn] = await db.rows<{ id: string }>(sql`insert into connections (name, kind, config, settings)
      values ('HK', 'custom', '{}'::jsonb, '{}'::jsonb) returning id`);
    const records = await db.rows<{ id: string }>(sql`select id from records where sku like 'HK-%'`);
    await db.rows(sql`insert into equivalences (connection_id, record_id, entity, external_id, fingerprint, status)
      select ${conn.id}::uuid, id, 'product', 'hk-' || id, 'fp', 'live' from records where sku like 'HK-%'`);
    const allVisible = async () => Number((await db.rows<{ n: number }>(sql`select relallvisible::int8 as n from pg_class where relname = 'equivalences'`))[0].n);
    const before = await allVisible();
    // A small job leaves it to the periodic housekeeping.
    db.housekeeping.noteWrites(100);
    await db.housekeeping.settle();
    expect(await allVisible()).toBe(before);
    // A bulk one: the pages of the listings it wrote are all-visible after it (index-only scans of the key).
    db.housekeeping.noteWrites(6 * records.length * 4);
    await db.housekeeping.settle();
    if (kind === 'pglite') expect(await allVisible()).toBeGreaterThan(before);
    else expect(await allVisible()).toBe(before); // a server has autovacuum
    if (kind === 'pglite') {
      // What a rescan asks per batch is then answered from the key's index alone.
      const plan = await db.rows<{ 'QUERY PLAN': string }>(sql`explain (analyze, costs off) select json_object_agg(external_id, fingerprint)
        from equivalences where connection_id = ${conn.id} and entity = 'product' and external_id = any(${`{hk-${records[0].id},hk-${records[1].id}}`}::text[])
          and status <> 'gone' and fingerprint is not null`);
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toContain('Index Only Scan using equivalences_external');
      expect(text).toContain('Heap Fetches: 0');
    }
  });
});
