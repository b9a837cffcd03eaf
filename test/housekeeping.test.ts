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
});
