import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { pgErrorCode, UNIQUE_VIOLATION } from '../src/db/index.js';
import { DATABASES, openTestDatabase } from './helpers/hub.js';

describe.each(DATABASES)('the SQLSTATE of an error through the ORM (%s)', (kind) => {
  it('is found under the wrapping error, where err.code alone misses it', async () => {
    const { db, drop } = await openTestDatabase(kind);
    try {
      const insert = sql`insert into jobs (type, connection_id, state) values ('send', '00000000-0000-0000-0000-000000000001', 'queued')`;
      await db.rows(insert);
      const err = await db.rows(insert).then(() => null, (e: unknown) => e);
      expect(err).toBeTruthy();
      expect(pgErrorCode(err)).toBe(UNIQUE_VIOLATION);
      // Not a database error: no SQLSTATE, whatever its `code`.
      expect(pgErrorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeUndefined();
      expect(pgErrorCode(new Error('y', { cause: { code: '40001' } }))).toBe('40001');
      expect(pgErrorCode(null)).toBeUndefined();
    } finally {
      await drop();
    }
  });
});
