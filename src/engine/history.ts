import { sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { Hub } from '../hub.js';
import type { Database, Orm } from '../db/index.js';
import { ApiError } from '../http/errors.js';
import { Product, Variation } from '../model/product.js';
import { listConnections } from './connections.js';
import { diffProducts } from './diff.js';
import { replanProducts } from './plan.js';
import { getRecord } from './records.js';
import { isObject } from '../model/normalize.js';

/**
 * Record history: every change to a record keeps the field, the old and the new
 * value, who made it and when, so "why did my price change?" has an answer.
 * Sources: `connection` (a fetch detected it there; source_id = connection id),
 * `user` (an edit in the hub), `rule`, `reservation` (an order held stock),
 * `maintenance` (the integrity fix).
 */
export type HistorySource = 'connection' | 'user' | 'rule' | 'reservation' | 'maintenance';

export interface HistoryRow {
  record_id: string;
  field: string;
  old_value: unknown;
  new_value: unknown;
  source_type: HistorySource;
  source_id: string | null;
  job_id?: string | null;
}

/** Appends history rows in one statement. */
export async function writeHistory(db: Database, rows: HistoryRow[], tx?: Orm): Promise<void> {
  if (rows.length === 0) return;
  await db.rows(sql`insert into record_history (record_id, field, old_value, new_value, source_type, source_id, job_id)
    select record_id, field, old_value, new_value, source_type, source_id, job_id
    from jsonb_to_recordset(${JSON.stringify(rows.map((r) => ({ ...r, job_id: r.job_id ?? null })))}::jsonb)
      as x(record_id uuid, field text, old_value jsonb, new_value jsonb, source_type text, source_id text, job_id uuid)`, tx);
}

/** Settings field names as the history filter understands them, to the key they are stored under. */
const FIELD_KEYS: Record<string, string> = { price: 'prices', stock: 'availabilities', prices: 'prices', availabilities: 'availabilities' };

export interface HistoryQuery {
  field?: string;
  limit?: number;
  cursor?: string;
}

/**
 * The history of one record, newest first. `field` narrows it to one field: `title`,
 * or a variation field (`price`, `stock`, `barcode`...) on any variation.
 *
 * @example await recordHistory(hub, 'product', id, { field: 'price' })
 */
export async function recordHistory(hub: Hub, entity: 'product' | 'order', id: string, q: HistoryQuery = {}) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw ApiError.notFound(`${entity} ${id} not found`);
  const [row] = await hub.db.rows<{ id: string }>(sql`select id from records where id = ${id} and entity = ${entity}`);
  if (!row) throw ApiError.notFound(`${entity} ${id} not found`);
  const limit = q.limit ?? 100;
  let before: number | null = null;
  if (q.cursor) {
    before = Number(Buffer.from(q.cursor, 'base64url').toString('utf8'));
    if (!Number.isInteger(before) || before <= 0) throw ApiError.badRequest('cursor: not a cursor returned by this API', 'cursor');
  }
  const key = q.field ? FIELD_KEYS[q.field] ?? q.field : null;
  const rows = await hub.db.rows<{
    id: number; field: string; old_value: unknown; new_value: unknown; source_type: string; source_id: string | null;
    job_id: string | null; at: Date; connection_name: string | null;
  }>(sql`
    select h.id, h.field, h.old_value, h.new_value, h.source_type, h.source_id, h.job_id, h.at, c.name as connection_name
    from record_history h
    left join connections c on h.source_type = 'connection' and c.id::text = h.source_id
    where h.record_id = ${id}
      ${key ? sql`and (h.field = ${key} or h.field like ${`%].${key}`} or h.field like ${`${key}[%`})` : sql``}
      ${before ? sql`and h.id < ${before}` : sql``}
    order by h.id desc limit ${limit + 1}`);
  const page = rows.slice(0, limit);
  return {
    items: page.map((h) => ({
      id: h.id,
      field: h.field,
      oldValue: h.old_value,
      newValue: h.new_value,
      source: { type: h.source_type, id: h.source_id, ...(h.connection_name ? { name: h.connection_name } : {}) },
      jobId: h.job_id,
      at: h.at,
    })),
    nextCursor: rows.length > limit ? Buffer.from(String(page[page.length - 1].id)).toString('base64url') : null,
  };
}

/** Keys of a record view the API returns that a client may send back unchanged; they are not product fields. */
const VIEW_KEYS = new Set(['id', 'equivalences', 'issues', 'createdAt', 'updatedAt', 'sourceConnectionId']);
const PRODUCT_KEYS = new Set(Object.keys(Product.shape));
const TopLevel = Product.omit({ variations: true });

function fieldError(err: z.ZodError, prefix: string): ApiError {
  const first = err.issues[0];
  let where = prefix;
  for (const p of first.path) where += typeof p === 'number' ? `[${p}]` : `${where ? '.' : ''}${String(p)}`;
  return ApiError.badRequest(`${where}: ${first.message}`, where);
}

/**
 * Applies a user's edit to a product: top-level fields replace the record's; each item
 * of `variations` is matched by `sku` and its fields replace that variation's (a new
 * SKU adds a variation). The result must be a valid product (400 naming the field).
 * The change is kept in the history (source user) and planned on every connection
 * that writes the field.
 *
 * @example await editProduct(hub, id, { title: 'JBL EON 618S', variations: [{ sku: 'EON', prices: [...] }] }, 'api')
 */
export async function editProduct(hub: Hub, id: string, body: unknown, user: string) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw ApiError.notFound(`product ${id} not found`);
  if (!isObject(body)) throw ApiError.badRequest('body: must be a JSON object with the fields to change', 'body');
  for (const k of Object.keys(body)) {
    if (!PRODUCT_KEYS.has(k) && !VIEW_KEYS.has(k)) {
      throw ApiError.badRequest(`${k}: not a product field (fields: ${[...PRODUCT_KEYS].join(', ')})`, k);
    }
  }
  const connections = await listConnections(hub);
  const outcome = await hub.db.tx(async (tx) => {
    const [row] = await hub.db.rows<{ data: Product }>(sql`
      select data from records where id = ${id} and entity = 'product' for update`, tx);
    if (!row) throw ApiError.notFound(`product ${id} not found`);
    const current = row.data;
    const next = mergeEdit(current, body);
    const changes = diffProducts(next, current).changes;
    const skuChanged = next.sku !== current.sku;
    if (changes.length === 0 && !skuChanged) return { changed: [] as string[] };
    await hub.db.rows(sql`update records set data = ${JSON.stringify(next)}::jsonb, sku = ${next.sku}, updated_at = now()
      where id = ${id}`, tx);
    const history: HistoryRow[] = changes.map((c) => ({
      record_id: id, field: c.path, old_value: c.old, new_value: c.new, source_type: 'user', source_id: user,
    }));
    if (skuChanged) history.push({ record_id: id, field: 'sku', old_value: current.sku, new_value: next.sku, source_type: 'user', source_id: user });
    await writeHistory(hub.db, history, tx);
    await replanProducts(hub.db, tx, new Map([[id, next]]), connections);
    return { changed: history.map((h) => h.field) };
  });
  return { ...(await getRecord(hub, 'product', id)), changed: outcome.changed };
}

function mergeEdit(current: Product, body: Record<string, unknown>): Product {
  const top: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(body)) if (k !== 'variations' && PRODUCT_KEYS.has(k)) top[k] = v;
  const parsedTop = TopLevel.safeParse(top);
  if (!parsedTop.success) throw fieldError(parsedTop.error, '');
  const variations = [...current.variations];
  if (body.variations !== undefined) {
    if (!Array.isArray(body.variations)) throw ApiError.badRequest('variations: must be a list of variation changes, each with its sku', 'variations');
    body.variations.forEach((item, i) => {
      const where = `variations[${i}]`;
      if (!isObject(item)) throw ApiError.badRequest(`${where}: must be an object`, where);
      if (typeof item.sku !== 'string' || item.sku === '') {
        throw ApiError.badRequest(`${where}.sku: required, to say which variation to change (or which to add)`, `${where}.sku`);
      }
      const at = variations.findIndex((v) => v.sku === item.sku);
      const parsed = Variation.safeParse(at >= 0 ? { ...variations[at], ...item } : item);
      if (!parsed.success) throw fieldError(parsed.error, where);
      if (at >= 0) variations[at] = parsed.data;
      else variations.push(parsed.data);
    });
  }
  return { ...(parsedTop.data as Omit<Product, 'variations'>), variations };
}
