import { sql } from 'drizzle-orm';
import { textArray, uuidArray, type Orm } from '../db/index.js';
import type { Connector, Entity } from '../connectors/types.js';
import type { JobContext } from '../jobs/context.js';
import type { Hub } from '../hub.js';
import type { Product } from '../model/product.js';
import { ApiError } from '../http/errors.js';
import { getConnection, type LoadedConnection } from './connections.js';
import { fingerprint } from './diff.js';
import { raiseIssues } from './issues.js';
import { forCreate, project } from './rules.js';
import { replanProducts } from './plan.js';

/**
 * What identifies a product on a platform when the hub has no id for it: its SKU, else
 * its title with its barcodes (the last resort: a bind by them leaves a warning); '' when
 * it has neither a SKU nor a barcode, and nothing can tell it apart from another.
 */
export function productIdentity(p: Product): string {
  if (p.sku) return `sku:${p.sku}`;
  const barcodes = [...new Set(p.variations.map((v) => v.barcode).filter(Boolean))].sort();
  const title = looseTitle(p.title);
  return title && barcodes.length > 0 ? `tb:${title}|${barcodes.join(',')}` : '';
}

/** A title as identities compare it: trimmed, lower-cased, runs of white space as one space. */
export const looseTitle = (t: string) => t.trim().toLowerCase().replace(/\s+/g, ' ');

/** The identity of the listing a create of `record` on `conn` wrote: what the platform shows for it. */
export function createdIdentity(record: Product, conn: LoadedConnection): string {
  return productIdentity(forCreate(project(record, conn.settings, undefined, null), conn.settings));
}

/**
 * A person's answer to a held create (no SKU, answer lost): `create` (it is not on the
 * platform: send it again) or `bind` (it is there, as `externalId`).
 */
export async function resolveUncertainCreate(hub: Hub, productId: string, body: unknown): Promise<{ equivalenceId: string; resolution: 'create' | 'bind' }> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ApiError.badRequest('body: must be a JSON object', 'body');
  const { connectionId, resolution, externalId } = body as Record<string, unknown>;
  if (typeof connectionId !== 'string' || !/^[0-9a-f-]{36}$/i.test(connectionId)) throw ApiError.badRequest('connectionId: must be the id of a connection', 'connectionId');
  if (resolution !== 'create' && resolution !== 'bind') throw ApiError.badRequest('resolution: must be "create" (it is not on the platform) or "bind" (it is, as externalId)', 'resolution');
  if (resolution === 'bind' && (typeof externalId !== 'string' || externalId.trim() === '' || externalId.length > 200 || externalId.includes('\u0000'))) {
    throw ApiError.badRequest('externalId: the id of the listing on the platform (1 to 200 characters) is needed to bind it', 'externalId');
  }
  if (!/^[0-9a-f-]{36}$/i.test(productId)) throw ApiError.notFound(`product ${productId} not found`);
  const conn = await getConnection(hub, connectionId);
  const { db } = hub;
  return db.tx(async (tx) => {
    const [eq] = await db.rows<{ id: string; data: Product }>(sql`
      select e.id, r.data from equivalences e join records r on r.id = e.record_id
      where e.connection_id = ${conn.id} and e.record_id = ${productId} and e.entity = 'product'
        and e.external_id is null and e.create_attempted_at is not null
      for update of e`, tx);
    if (!eq) throw new ApiError('CS_CONFLICT', `No create of product ${productId} on ${conn.name} is waiting for an answer`);
    if (resolution === 'create') {
      await db.rows(sql`update equivalences set create_attempted_at = null, updated_at = now() where id = ${eq.id}`, tx);
    } else {
      const id = (externalId as string).trim();
      const [taken] = await db.rows(sql`select 1 from equivalences where connection_id = ${conn.id} and entity = 'product' and external_id = ${id}`, tx);
      if (taken) throw new ApiError('CS_CONFLICT', `Listing ${id} on ${conn.name} is already bound to a product`, 'externalId');
      // What the hub created there is what it holds; the next fetch reads the listing against it.
      const ack = forCreate(project(eq.data, conn.settings, undefined, null), conn.settings);
      await db.rows(sql`update equivalences set external_id = ${id}, ack = ${JSON.stringify(ack)}::jsonb, fingerprint = null,
        status = 'live', create_attempted_at = null, updated_at = now() where id = ${eq.id}`, tx);
      await db.rows(sql`delete from pending_changes where equivalence_id = ${eq.id}`, tx);
      await replanProducts(db, tx, new Map([[productId, eq.data]]), [conn]);
    }
    await db.rows(sql`update issues set resolved_at = now() where resolved_at is null and equivalence_id = ${eq.id}
      and (code in ('create_uncertain', 'create_uncertain_match') or origin = 'send')`, tx);
    hub.events.emit('connection', { id: conn.id });
    return { equivalenceId: eq.id, resolution };
  });
}

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
