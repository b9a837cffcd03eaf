import { sql } from 'drizzle-orm';
import { textArray, uuidArray, type Database, type Orm } from '../../db/index.js';
import type { Order, OrderLine } from '../../model/order.js';
import type { Product, Variation } from '../../model/product.js';
import { variationKey } from '../rules.js';

/** A line matched to a hub product variation. */
export interface MatchedLine {
  productRecordId: string;
  /** The hub variation's SKU ('' when it has none). */
  sku: string;
  /** The reservation key of the variation (SKU, or `#index`). */
  key: string;
}

export type LineMatch = { ok: true; line: MatchedLine } | { ok: false; reason: string };

interface ProductEq { external_id: string; record_id: string; ack: Product | null }

/**
 * Matches the lines of orders read from `connectionId` to hub product variations:
 * the line's product id is that connection's product (its equivalence), the
 * variation id one of its variations (by id, or position). A line the connection
 * names only by SKU is matched by SKU. One query per kind for the whole page.
 */
export async function matchLines(db: Database, tx: Orm, connectionId: string, orders: Order[]): Promise<LineMatch[][]> {
  const productIds = [...new Set(orders.flatMap((o) => o.lines.map((l) => l.productId).filter((x): x is string => !!x)))];
  const eqs = productIds.length === 0 ? [] : await db.rows<ProductEq>(sql`
    select external_id, record_id, ack from equivalences
    where connection_id = ${connectionId} and entity = 'product' and external_id = any(${textArray(productIds)})`, tx);
  const byExt = new Map(eqs.map((e) => [e.external_id, e]));
  const recordIds = [...new Set(eqs.map((e) => e.record_id))];

  // Lines with no known product but a SKU: look the SKU up among hub variations.
  const skus = [...new Set(orders.flatMap((o) => o.lines
    .filter((l) => (!l.productId || !byExt.has(l.productId)) && l.sku)
    .map((l) => l.sku)))];
  const records = await db.rows<{ id: string; sku: string; data: Product }>(sql`
    select id, sku, data from records where entity = 'product' and (id = any(${uuidArray(recordIds)})
      ${skus.length > 0 ? sql`or sku = any(${textArray(skus)}) or exists (select 1 from jsonb_array_elements(data->'variations') v
        where v->>'sku' = any(${textArray(skus)}))` : sql``})
    order by created_at, id`, tx);
  const dataById = new Map(records.map((r) => [r.id, r.data]));
  const bySku = new Map<string, MatchedLine>();
  for (const r of records) {
    r.data.variations.forEach((v, i) => {
      if (v.sku && !bySku.has(v.sku)) bySku.set(v.sku, { productRecordId: r.id, sku: v.sku, key: variationKey(v, i) });
    });
    if (r.sku && !bySku.has(r.sku) && r.data.variations.length === 1) {
      const v = r.data.variations[0];
      bySku.set(r.sku, { productRecordId: r.id, sku: v.sku, key: variationKey(v, 0) });
    }
  }

  return orders.map((o) => o.lines.map((l): LineMatch => {
    const eq = l.productId ? byExt.get(l.productId) : undefined;
    if (eq) {
      const hub = dataById.get(eq.record_id);
      const found = hub ? variationOf(l, eq.ack?.variations ?? [], hub.variations) : null;
      if (hub && found) return { ok: true, line: { productRecordId: eq.record_id, sku: found.v.sku, key: variationKey(found.v, found.i) } };
      if (l.sku && bySku.has(l.sku)) return { ok: true, line: bySku.get(l.sku)! };
      return {
        ok: false,
        reason: `product ${l.productId} has no variation ${l.variationId !== undefined ? `"${l.variationId}"` : '(none given)'}${l.sku ? ` and no SKU ${l.sku}` : ''}`,
      };
    }
    if (l.sku && bySku.has(l.sku)) return { ok: true, line: bySku.get(l.sku)! };
    return {
      ok: false,
      reason: l.productId
        ? `product ${l.productId} is not known to the hub${l.sku ? `, nor is SKU ${l.sku}` : ''} (fetch this connection's products first?)`
        : l.sku ? `SKU ${l.sku} is not known to the hub` : 'the line names no product and no SKU',
    };
  }));
}

/**
 * The hub variation a line refers to: the connection's variation (by id, or by
 * position), then the hub variation with its SKU (or at its position).
 */
function variationOf(line: OrderLine, seen: Variation[], hub: Variation[]): { v: Variation; i: number } | null {
  let platform: Variation | undefined;
  let index = -1;
  if (line.variationId !== undefined) {
    index = seen.findIndex((v) => v.id === line.variationId);
    if (index < 0 && /^\d+$/.test(line.variationId) && seen.every((v) => v.id === undefined || /^\d+$/.test(v.id))) {
      index = Number(line.variationId);
    }
    platform = seen[index];
  } else if (line.sku) {
    index = seen.findIndex((v) => v.sku === line.sku);
    platform = seen[index];
  } else if (seen.length === 1 || hub.length === 1) {
    index = 0;
    platform = seen[0] ?? hub[0];
  }
  if (!platform) return null;
  const i = sameVariation(platform, index, hub);
  return i >= 0 ? { v: hub[i], i } : null;
}

/**
 * Where variation `v` (at `index` of another list of the same product) is in `list`: by
 * SKU, else by barcode, else at the same position if that one has no SKU either; a
 * product with a single variation on both sides is that variation.
 */
function sameVariation(v: Variation, index: number, list: Variation[]): number {
  if (v.sku) return list.findIndex((x) => x.sku === v.sku);
  if (v.barcode) {
    const i = list.findIndex((x) => x.barcode === v.barcode);
    if (i >= 0) return i;
  }
  if (list[index] && !list[index].sku) return index;
  return list.length === 1 && index === 0 ? 0 : -1;
}

/** A hub line as the target connection names it: its product id and variation id. */
export type TargetLine = { ok: true; productId: string; variationId: string } | { ok: false; reason: string };

/**
 * Maps the matched lines of hub orders to a target connection's own ids, through
 * that connection's product equivalences and the variation ids it acknowledged.
 */
export async function mapLinesTo(db: Database, connectionId: string, orders: Order[], tx?: Orm): Promise<TargetLine[][]> {
  const recordIds = [...new Set(orders.flatMap((o) => o.lines.map((l) => l.productRecordId).filter((x): x is string => !!x)))];
  const eqs = recordIds.length === 0 ? [] : await db.rows<{ record_id: string; external_id: string; ack: Product | null }>(sql`
    select record_id, external_id, ack from equivalences
    where connection_id = ${connectionId} and entity = 'product' and external_id is not null and status <> 'gone'
      and record_id = any(${uuidArray(recordIds)})
    order by created_at`, tx);
  const byRecord = new Map<string, { external_id: string; ack: Product | null }>();
  for (const e of eqs) if (!byRecord.has(e.record_id)) byRecord.set(e.record_id, e);
  // Lines on variations without a SKU are found through the hub variation (its barcode, or its position).
  const unnamed = [...new Set(orders.flatMap((o) => o.lines.filter((l) => !l.sku && l.productRecordId).map((l) => l.productRecordId!)))];
  const hubData = new Map(unnamed.length === 0 ? [] : (await db.rows<{ id: string; data: Product }>(sql`
    select id, data from records where id = any(${uuidArray(unnamed)})`, tx)).map((r) => [r.id, r.data]));
  return orders.map((o) => o.lines.map((l): TargetLine => {
    if (!l.productRecordId) return { ok: false, reason: `line ${l.sku || l.title || '(no SKU)'} is not matched to a hub product` };
    const eq = byRecord.get(l.productRecordId);
    if (!eq) return { ok: false, reason: `${l.sku || 'the product'} is not on this connection yet` };
    const variations = eq.ack?.variations ?? [];
    const i = targetVariation(l, hubData.get(l.productRecordId), variations);
    if (i < 0) return { ok: false, reason: `${eq.external_id} has no variation ${l.sku || (l.variationKey ? `at position ${l.variationKey.slice(1)}` : '(without SKU)')} on this connection` };
    // The platform's own variation id, else its position: the terms the platform uses (custom protocol: "0", "1"...).
    return { ok: true, productId: eq.external_id, variationId: variations[i].id ?? String(i) };
  }));
}

/** Which of the target's variations a hub line is: by SKU, else as the hub variation it was matched to. */
function targetVariation(line: OrderLine, hub: Product | undefined, target: Variation[]): number {
  if (line.sku) return target.findIndex((v) => v.sku === line.sku);
  const position = line.variationKey?.startsWith('#') ? Number(line.variationKey.slice(1)) : NaN;
  const v = hub && Number.isInteger(position) ? hub.variations[position] : undefined;
  if (v) return sameVariation(v, position, target);
  return target.length === 1 ? 0 : -1;
}
