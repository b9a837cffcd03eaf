import { uuidArray } from '../db/index.js';
import { sql } from 'drizzle-orm';
import type { Hub } from '../hub.js';
import type { Orm } from '../db/index.js';
import { ApiError } from '../http/errors.js';
import { DEFAULT_THRESHOLDS } from '../model/settings.js';
import type { LoadedConnection } from './connections.js';
import { raiseIssues } from './issues.js';

/**
 * Clocks and deletions. A connection keeps one clock per entity (`clocks.products`,
 * `clocks.orders`): the connector's cursor and when it last scanned. Without a
 * cursor the next fetch is a full rescan; only a complete full rescan can tell
 * that a listing disappeared, and even then a scan that would make too much
 * disappear at once is taken for a broken platform (SPEC section 5).
 */
export type ClockEntity = 'products' | 'orders';
export const CLOCK_ENTITIES: ClockEntity[] = ['products', 'orders'];

/** Saves an entity's clock on a connection. */
export async function saveClock(hub: Hub, connectionId: string, entity: ClockEntity, clock: Record<string, unknown>): Promise<void> {
  await hub.db.rows(sql`update connections set clocks = jsonb_set(clocks, ${`{${entity}}`}::text[], ${JSON.stringify(clock)}::jsonb),
    updated_at = now() where id = ${connectionId}`);
}

/**
 * Resets the clocks of a connection (all entities, or one): the next fetch starts
 * from no cursor, scans everything, and afterwards marks what it did not find gone.
 *
 * @example await resetClocks(hub, id, ['products']);
 */
export async function resetClocks(hub: Hub, connectionId: string, entities: ClockEntity[] = CLOCK_ENTITIES): Promise<Record<string, unknown>> {
  const resetAt = new Date().toISOString();
  let clocks: Record<string, unknown> | null = null;
  for (const entity of entities) {
    const [row] = await hub.db.rows<{ clocks: Record<string, unknown> }>(sql`update connections
      set clocks = jsonb_set(clocks, ${`{${entity}}`}::text[], ${JSON.stringify({ cursor: null, resetAt })}::jsonb), updated_at = now()
      where id = ${connectionId} returning clocks`);
    if (!row) throw ApiError.notFound(`connection ${connectionId} not found`);
    clocks = row.clocks;
  }
  hub.events.emit('connection', { id: connectionId });
  return clocks ?? {};
}

export interface DeletionOutcome {
  /** Listings of the connection before the scan (with an external id, not already gone). */
  listed: number;
  /** Of those, not seen by the scan. */
  missing: number;
  /** Marked gone: `missing`, or 0 when the guard held. */
  gone: number;
  /** Why nothing was marked gone although listings were missing. */
  guard?: string;
}

/**
 * After a COMPLETE full rescan that saw the listings `seen` (external ids, kept in
 * memory by the scan rather than stamped on every row): marks the connection's other
 * listings gone. Listings written after the scan started (a send running alongside)
 * count as seen. Guard: a scan that saw nothing, or that would mark more than
 * `thresholds.massDeleteShare` of the listings gone, marks nothing and raises an error
 * issue. Hub records and other connections are never touched; a gone listing comes
 * back to life when a later scan sees it.
 */
export async function markMissingGone(
  hub: Hub, conn: LoadedConnection, entity: 'product' | 'order', seenIds: ReadonlySet<string>, scanStartedAt: Date, seen: number,
): Promise<DeletionOutcome> {
  const share = conn.settings.thresholds?.massDeleteShare ?? DEFAULT_THRESHOLDS.massDeleteShare;
  const listedCond = sql`e.connection_id = ${conn.id} and e.entity = ${entity} and e.external_id is not null and e.status <> 'gone'`;
  // One row (external id -> id of the listings older than the scan), not a row per listing: on the embedded
  // database each row returned costs about 5 µs, half a second at 100k for every full rescan.
  const [{ listed, before }] = await hub.db.rows<{ listed: number; before: Record<string, string> }>(sql`
    select count(*)::int as listed, coalesce(json_object_agg(e.external_id, e.id)
        filter (where coalesce(e.last_seen_at, e.created_at) < ${scanStartedAt.toISOString()}::timestamptz), '{}') as before
    from equivalences e where ${listedCond}`);
  const missingIds = Object.entries(before).filter(([externalId]) => !seenIds.has(externalId)).map(([, id]) => id);
  const missing = missingIds.length;
  const outcome: DeletionOutcome = { listed, missing, gone: 0 };
  const noun = entity === 'product' ? 'products' : 'orders';
  if (missing === 0) {
    await resolveGuard(hub, conn.id, entity);
    return outcome;
  }
  if (seen === 0) {
    outcome.guard = `The full rescan of ${conn.name} returned no ${noun} at all, while ${listed} were listed there before; `
      + 'nothing was marked gone. The platform may be malfunctioning. If everything was really deleted there, keep at least one '
      + `${entity} on the platform, or delete the connection.`;
  } else if (missing > share * listed) {
    outcome.guard = `The full rescan of ${conn.name} did not find ${missing} of its ${listed} ${noun} `
      + `(${Math.round((100 * missing) / listed)}%, more than the ${Math.round(share * 100)}% allowed); nothing was marked gone. `
      + 'The platform may be malfunctioning. If they were really deleted there, raise settings.thresholds.massDeleteShare '
      + 'for this connection and reset its clocks again.';
  }
  if (outcome.guard) {
    await raiseIssues(hub.db, [{
      connectionId: conn.id, entity, severity: 'error', code: 'mass_delete_guard', origin: 'engine', key: 'mass_delete_guard',
      message: outcome.guard, details: { listed, missing, seen, share },
    }]);
    return outcome;
  }
  await hub.db.tx(async (tx) => {
    const gone = await hub.db.rows<{ id: string; record_id: string; external_id: string }>(sql`
      update equivalences e set status = 'gone', updated_at = now()
      where e.id = any(${uuidArray(missingIds)}) and e.status <> 'gone'
        and coalesce(e.last_seen_at, e.created_at) < ${scanStartedAt.toISOString()}::timestamptz
      returning e.id, e.record_id, e.external_id`, tx);
    outcome.gone = gone.length;
    // Nothing can be written to a listing that is not there any more.
    await hub.db.rows(sql`delete from pending_changes
      where equivalence_id = any(${uuidArray(gone.map((g) => g.id))})`, tx);
    await raiseIssues(hub.db, gone.map((g) => ({
      connectionId: conn.id, recordId: g.record_id, equivalenceId: g.id, externalId: g.external_id, entity,
      severity: 'notice' as const, code: 'gone', origin: 'fetch' as const, key: 'gone',
      message: `Not found on ${conn.name} (as ${g.external_id}) by the full rescan of ${scanStartedAt.toISOString().slice(0, 10)}; `
        + 'marked gone there. The hub record is kept.',
    })), tx);
    await resolveGuard(hub, conn.id, entity, tx);
  });
  return outcome;
}

async function resolveGuard(hub: Hub, connectionId: string, entity: string, tx?: Orm): Promise<void> {
  await hub.db.rows(sql`update issues set resolved_at = now()
    where connection_id = ${connectionId} and entity = ${entity} and code = 'mass_delete_guard' and resolved_at is null`, tx);
}
