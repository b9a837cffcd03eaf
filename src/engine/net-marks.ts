import { sql } from 'drizzle-orm';
import { textArray, type Database } from '../db/index.js';

/**
 * The marks that let a send's safety net skip its look. An absorbing connection's net finds
 * products it neither holds nor has planned; a fulfilling connection's finds orders it was
 * never handed. Each net reads every product or order, so it looks only when something it
 * could find was added since its last complete look. A sequence counts those changes and
 * each connection keeps the value its last complete look started from.
 *
 * A sequence moves when a row is written, not when the row's transaction commits. A look
 * that starts while such a transaction is open cannot see its rows. So a mark is kept only
 * if every transaction open just after the mark was read had ended before the look began.
 */
const NETS = {
  absorb: { sequence: 'records_added', table: 'absorb_checks', column: 'records_mark' },
  forward: { sequence: 'orders_changed', table: 'forward_checks', column: 'orders_mark' },
} as const;

export type Net = keyof typeof NETS;

export interface Look {
  /** Whether what the look is about to read includes everything the mark counts. Ask it right before the look. */
  settled(): Promise<boolean>;
  /** After a complete look that started settled: the next send can skip its look until the mark moves. */
  save(): Promise<void>;
}

/** null when this connection's last complete look is still current; otherwise the look to do. */
export async function startLook(db: Database, net: Net, connectionId: string): Promise<Look | null> {
  const { sequence, table, column } = NETS[net];
  const [{ mark }] = await db.rows<{ mark: number }>(sql`
    select (case when is_called then last_value else 0 end)::int8 as mark from ${sql.identifier(sequence)}`);
  const [checked] = await db.rows<{ mark: number }>(sql`
    select ${sql.identifier(column)} as mark from ${sql.identifier(table)} where connection_id = ${connectionId}`);
  if (checked?.mark === mark) return null;
  // Read after the mark: a transaction that moved the sequence before it already had its id
  // then, so if it is still open, it is here.
  const busy = (await db.rows<{ xid: string }>(sql`
    select backend_xid::text as xid from pg_stat_activity
    where datname = current_database() and backend_xid is not null and pid <> pg_backend_pid()`)).map((r) => r.xid);
  return {
    async settled() {
      if (busy.length === 0) return true;
      const [{ open }] = await db.rows<{ open: number }>(sql`
        select count(*)::int as open from pg_stat_activity
        where datname = current_database() and backend_xid::text = any(${textArray(busy)})`);
      return open === 0;
    },
    async save() {
      await db.rows(sql`insert into ${sql.identifier(table)} (connection_id, ${sql.identifier(column)}) values (${connectionId}, ${mark})
        on conflict (connection_id) do update set ${sql.identifier(column)} = excluded.${sql.identifier(column)}, checked_at = now()`);
    },
  };
}
