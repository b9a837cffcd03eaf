import { sql } from 'drizzle-orm';
import type { Database } from '../db/index.js';

/**
 * The marks that let a send's safety net skip its look. A fulfilling connection's net finds
 * orders it was never handed. It reads every order, so it looks only when something it
 * could find was added since its last complete look. A sequence counts those changes and
 * each connection keeps the value its last complete look started from. (The creates an
 * absorbing connection is owed are not gated this way: two counts of the facts say whether
 * any is owed, every time; see absorbMissing in send.ts.)
 *
 * A sequence moves when a row is written, not when the row's transaction commits. A look
 * that starts while such a transaction is open cannot see its rows. So the triggers that
 * move a sequence also take a shared advisory lock until their transaction ends (migration
 * 0015), and a mark is kept only if the look began after the lock could be taken exclusively
 * once the mark was read: every transaction the mark counts had ended by then.
 */
const NETS = {
  forward: { sequence: 'orders_changed', table: 'forward_checks', column: 'orders_mark', lock: 724003 },
} as const;

/** How long a look waits for the transactions its mark counts to end; past that it looks anyway, and keeps no mark. */
const SETTLE_WAIT_MS = 3000;
const SETTLE_POLL_MS = 25;

export type Net = keyof typeof NETS;

export interface Look {
  /** Whether what the look is about to read includes everything the mark counts. Ask it right before the look. */
  settled(): Promise<boolean>;
  /** After a complete look that started settled: the next send can skip its look until the mark moves. */
  save(): Promise<void>;
}

/** null when this connection's last complete look is still current; otherwise the look to do. */
export async function startLook(db: Database, net: Net, connectionId: string): Promise<Look | null> {
  const { sequence, table, column, lock } = NETS[net];
  const [{ mark }] = await db.rows<{ mark: number }>(sql`
    select (case when is_called then last_value else 0 end)::int8 as mark from ${sql.identifier(sequence)}`);
  const [checked] = await db.rows<{ mark: number }>(sql`
    select ${sql.identifier(column)} as mark from ${sql.identifier(table)} where connection_id = ${connectionId}`);
  if (checked?.mark === mark) return null;
  let ended = false;
  return {
    async settled() {
      // Once true, true for every later look too.
      if (ended) return true;
      // Taken and let go in one statement: it only proves that no writer counted in `mark` is still open.
      const deadline = Date.now() + SETTLE_WAIT_MS;
      for (;;) {
        const [{ free }] = await db.rows<{ free: boolean }>(sql`select pg_try_advisory_xact_lock(${lock}::int8) as free`);
        if (free) return (ended = true);
        if (Date.now() >= deadline) return false;
        await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
      }
    },
    async save() {
      await db.rows(sql`insert into ${sql.identifier(table)} (connection_id, ${sql.identifier(column)}) values (${connectionId}, ${mark})
        on conflict (connection_id) do update set ${sql.identifier(column)} = excluded.${sql.identifier(column)}, checked_at = now()`);
    },
  };
}
