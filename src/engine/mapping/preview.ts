import { sql } from 'drizzle-orm';
import type { Hub } from '../../hub.js';
import type { Product } from '../../model/product.js';
import { PRODUCT_FIELDS, VARIATION_FIELDS, VARIATION_KEY } from '../../model/product.js';
import { fieldMode } from '../../model/settings.js';
import { ApiError } from '../../http/errors.js';
import { getConnection } from '../connections.js';
import { diffProducts } from '../diff.js';
import { applyRules, forCreate } from '../rules.js';
import { openReservations } from '../orders/ledger.js';
import { mappingOf, type Explanation, type ListingProblem } from './compile.js';

export interface Preview {
  connectionId: string;
  recordId: string;
  externalId: string | null;
  /** What a send would do now: create the listing, update the changed fields, or nothing. */
  operation: 'create' | 'update' | 'none';
  /** False when the connection neither holds nor absorbs this product: a create is only what it would receive. */
  planned: boolean;
  /** What the platform would hold: for a create, the whole body sent. */
  receives: Product;
  /** Per field of `receives`: its value and the rule that produced it. */
  fields: Explanation[];
  /** For an update, only these fields are sent. */
  changes: { path: string; old: unknown; new: unknown }[];
  /** What would hold the write back (with an issue) instead of sending it. */
  problems: ListingProblem[];
}

/**
 * For one product and one connection: what the platform would receive and which rule
 * (hub record, price or stock rule, category rule, mapping group, translation, currency
 * conversion, default) produced each field.
 *
 * @example
 * (await previewListing(hub, connId, productId)).fields.find((f) => f.path === 'title')
 * // { path: 'title', value: 'Northwind Classic T-Shirt S', rule: 'mapping group "Tees" title template "{brand} {title} {size}"' }
 */
export async function previewListing(hub: Hub, connectionId: string, productId: string): Promise<Preview> {
  const conn = await getConnection(hub, connectionId);
  if (!/^[0-9a-f-]{36}$/i.test(productId)) throw ApiError.badRequest('productId: must be a uuid', 'productId');
  const [row] = await hub.db.rows<{ id: string; data: Product }>(sql`
    select id, data from records where id = ${productId} and entity = 'product'`);
  if (!row) throw ApiError.notFound(`product ${productId} not found`);
  const [eq] = await hub.db.rows<{ external_id: string | null; ack: Product | null }>(sql`
    select external_id, ack from equivalences where record_id = ${productId} and connection_id = ${connectionId} and status <> 'gone'
    order by external_id is null, created_at limit 1`);
  const ack = eq?.external_id ? eq.ack : null;
  const reserved = conn.settings.absorb.orders ? undefined : (await openReservations(hub.db, [productId])).get(productId);
  const ruled = applyRules(row.data, conn.settings, reserved);
  const mapping = mappingOf(conn.settings);
  const fields: Explanation[] = [];
  let target = ruled;
  if (mapping) target = mapping.apply(ruled, row.data, ack, fields);
  else explainPlain(target, fields);
  annotateRules(fields, conn.settings);
  for (const f of fields) {
    const setting = settingOf(f.path);
    if (setting && !fieldMode(conn.settings, setting).write && !(ack === null && (setting === 'status' || setting === 'deliveryDays'))) {
      f.rule = `not written to this connection (settings.fields.${setting}.write is false); would be: ${f.rule}`;
    }
  }
  const write = (f: Parameters<typeof fieldMode>[1]) => fieldMode(conn.settings, f).write;
  const changes = diffProducts(target, ack, write).changes.map((c) => ({ path: c.path, old: c.old, new: c.new }));
  const operation = !ack ? 'create' : changes.length > 0 ? 'update' : 'none';
  return {
    connectionId, recordId: productId, externalId: eq?.external_id ?? null, operation,
    planned: eq !== undefined || conn.settings.absorb.products,
    receives: operation === 'create' ? forCreate(target, conn.settings) : target,
    fields, changes: operation === 'create' ? [] : changes,
    problems: mapping ? mapping.problems(target, conn.name) : [],
  };
}

function explainPlain(p: Product, out: Explanation[]): void {
  for (const f of PRODUCT_FIELDS) out.push({ path: f, value: p[f], rule: f === 'deliveryDays' && p[f] === null ? 'none' : 'hub record' });
  p.variations.forEach((v, i) => {
    const label = `variations[${v.sku || i}]`;
    out.push({ path: `${label}.color`, value: v.color, rule: 'hub record' });
    out.push({ path: `${label}.size`, value: v.size, rule: 'hub record' });
    out.push({ path: `${label}.prices`, value: v.prices, rule: 'hub record (after price rules)' });
    out.push({ path: `${label}.availabilities`, value: v.availabilities, rule: 'hub record (after stock rules and reservations)' });
  });
}

/** Names the price and stock rules where they changed the values. */
function annotateRules(fields: Explanation[], s: Parameters<typeof applyRules>[1]): void {
  const price = s.price.marginPercent !== 0 || s.price.add !== 0 || s.price.round !== 'none';
  const stock = s.stock.buffer !== 0 || s.stock.max !== null;
  for (const f of fields) {
    if (price && f.path.endsWith('.prices')) {
      f.rule = f.rule.replace('after price rules', `price rule: margin ${s.price.marginPercent}%, add ${s.price.add}, round ${s.price.round}`);
    }
    if (stock && f.path.endsWith('.availabilities')) {
      f.rule = f.rule.replace('after stock rules', `stock rule: buffer ${s.stock.buffer}, max ${s.stock.max ?? 'none'}`);
    }
  }
}

function settingOf(path: string): Parameters<typeof fieldMode>[1] | null {
  if ((PRODUCT_FIELDS as readonly string[]).includes(path)) return path as Parameters<typeof fieldMode>[1];
  const key = path.split('.').pop();
  const f = VARIATION_FIELDS.find((x) => VARIATION_KEY[x] === key);
  return f ?? null;
}
