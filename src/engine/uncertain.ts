import { sql } from 'drizzle-orm';
import { textArray, uuidArray, type Orm } from '../db/index.js';
import type { Connector, Entity } from '../connectors/types.js';
import type { JobContext } from '../jobs/context.js';
import type { LoadedConnection } from './connections.js';
import { fingerprint } from './diff.js';
import { raiseIssues } from './issues.js';

/** A create (a product, a forwarded order) whose answer was lost: it may or may not be on the platform. */
export interface Uncertain {
  /** The equivalence, still without an external id. */
  id: string;
  record_id: string;
  /** What identifies it on the platform: the SKU of a product, the number of an order. */
  key: string;
}

export interface Recovered<T> { external_id: string; ack: T; fingerprint: string }

/**
 * Reads the platform's whole listing for the uncertain creates of a connection, binding
 * each to a listing with its key that no equivalence holds yet (a page of them at a time,
 * so memory does not grow with the listing). Only a complete read that did not find one
 * makes it safe to create it again.
 */
export async function findUncertain<T, U extends Uncertain>(
  ctx: JobContext, conn: LoadedConnection, connector: Connector, entity: Entity,
  uncertain: U[], keyOf: (record: T) => string,
): Promise<{ found: (U & Recovered<T>)[]; missing: U[]; complete: boolean }> {
  const { db } = ctx.hub;
  const stored = entity === 'products' ? 'product' : 'order';
  const wanted = new Map<string, U[]>();
  for (const u of uncertain) if (u.key) wanted.set(u.key, [...(wanted.get(u.key) ?? []), u]);
  const found: (U & Recovered<T>)[] = [];
  let complete = false;
  let page: { externalId: string; record: T }[] = [];
  const taken = new Set<string>();
  const match = async () => {
    if (page.length === 0) return;
    const bound = new Set((await db.rows<{ external_id: string }>(sql`
      select external_id from equivalences where connection_id = ${conn.id} and entity = ${stored}
        and external_id = any(${textArray(page.map((p) => p.externalId))})`)).map((r) => r.external_id));
    for (const p of page) {
      // A listing bound already, or just now (a store whose paging repeats itself), is not bound twice.
      if (bound.has(p.externalId) || taken.has(p.externalId)) continue;
      const u = wanted.get(keyOf(p.record))?.shift();
      if (u) {
        found.push({ ...u, external_id: p.externalId, ack: p.record, fingerprint: fingerprint(p.record) });
        taken.add(p.externalId);
      }
    }
    page = [];
  };
  if (wanted.size > 0) {
    ctx.progress('send', 'scan', 0, null);
    for await (const ev of connector.read(entity, null) as AsyncIterable<{ type: string; externalId?: string; record?: T; complete?: boolean }>) {
      if (ev.type === 'checkpoint') complete = ev.complete !== false;
      if (ev.type !== 'record' || !wanted.get(keyOf(ev.record!))?.length) continue;
      page.push({ externalId: ev.externalId!, record: ev.record! });
      if (page.length >= 250) await match();
      if (found.length === uncertain.length) { complete = true; break; }
    }
    await match();
  }
  const foundIds = new Set(found.map((f) => f.id));
  return { found, missing: uncertain.filter((u) => !foundIds.has(u.id)), complete };
}

/**
 * What is left after `findUncertain`: absent from a complete listing, the earlier attempt
 * never landed and the create may be sent again; otherwise it is held back with an error
 * issue (`message`) rather than risk a duplicate.
 */
export async function settleMissing<U extends Uncertain>(
  ctx: JobContext, conn: LoadedConnection, entity: 'product' | 'order', tx: Orm,
  missing: U[], complete: boolean, message: (m: U) => string,
): Promise<void> {
  const { db } = ctx.hub;
  if (missing.length === 0) return;
  if (complete) {
    await db.rows(sql`update equivalences set create_attempted_at = null where id = any(${uuidArray(missing.map((m) => m.id))})`, tx);
    return;
  }
  await raiseIssues(db, missing.map((m) => ({
    connectionId: conn.id, recordId: m.record_id, equivalenceId: m.id, entity, severity: 'error' as const,
    code: 'create_uncertain', origin: 'engine' as const, key: 'create_uncertain', message: message(m),
  })), tx);
}
