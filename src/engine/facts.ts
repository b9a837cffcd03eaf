import { sql, type SQL } from 'drizzle-orm';
import type { Product } from '../model/product.js';

/**
 * The set facts of a product (record_facts, drizzle/0005_set_triggers.sql) computed
 * here rather than by the insert trigger, for the bulk insert of a first fetch: the
 * jsonpath functions of the trigger cost more than the rest of the insert on PGlite.
 * Lower-casing stays in the database (its locale decides what lower() does), and a
 * total this cannot sum exactly is left to cs_stock_total. test/facts.test.ts checks
 * that both give the same facts.
 */
export interface ProductFacts {
  has: number;
  /** The facts before lower-casing, without `skus`. */
  facts: { brand: string | null; size: string[]; color: string[]; category: string[] };
  skus: string[];
  /** null: sum it in the database (a quantity that is not a whole number). */
  stock: number | null;
  priceMin: number | null;
}

const text = (v: unknown): v is string => typeof v === 'string' && v !== '';
const list = (v: unknown): v is unknown[] => Array.isArray(v) && v.length > 0;
/** btrim(): spaces only. */
const trimSpaces = (s: string) => s.replace(/^ +| +$/g, '');

export function productFacts(p: Product): ProductFacts {
  const vs = Array.isArray(p.variations) ? p.variations : [];
  let has = (text(p.sku) ? 1 : 0) | (text(p.title) ? 2 : 0) | (text(p.description) ? 4 : 0) | (text(p.brand) ? 8 : 0)
    | (text(p.mpn) ? 16 : 0) | (text(p.model) ? 32 : 0) | (text(p.url) ? 64 : 0) | (list(p.tags) ? 128 : 0)
    | (list(p.categories) ? 256 : 0) | (typeof p.deliveryDays === 'number' ? 512 : 0) | (vs.length > 0 ? 1024 : 0);
  const size: string[] = [];
  const color: string[] = [];
  const skus: string[] = [];
  let stock: number | null = 0;
  let priceMin: number | null = null;
  let everyPriced = vs.length > 0;
  for (const v of vs) {
    if (text(v.barcode)) has |= 2048;
    if (text(v.size)) has |= 4096;
    if (text(v.color)) has |= 8192;
    if (list(v.images)) has |= 16384;
    if (list(v.videos)) has |= 32768;
    if (list(v.prices)) has |= 65536;
    if (typeof v.size === 'string') size.push(v.size);
    if (typeof v.color === 'string') color.push(v.color);
    if (text(v.sku)) skus.push(v.sku);
    for (const a of v.availabilities ?? []) {
      if (typeof a.quantity !== 'number') continue;
      if (stock !== null && Number.isSafeInteger(a.quantity)) stock += a.quantity;
      else stock = null;
    }
    let priced = false;
    for (const pr of v.prices ?? []) {
      if (typeof pr.amount !== 'number') continue;
      priced = true;
      if (priceMin === null || pr.amount < priceMin) priceMin = pr.amount;
    }
    if (!priced) everyPriced = false;
  }
  if (stock !== null && !Number.isSafeInteger(stock)) stock = null;
  return {
    has,
    facts: {
      brand: typeof p.brand === 'string' ? trimSpaces(p.brand) : null,
      size, color,
      category: (p.categories ?? []).filter((c) => typeof c === 'string'),
    },
    skus,
    stock,
    priceMin: everyPriced ? priceMin : null,
  };
}

/**
 * Inserts product records with their facts in one statement. The insert trigger skips
 * records whose facts the statement already wrote.
 */
export function insertProductRecords(
  rows: { id: string; sku: string; data: Product }[], sourceConnectionId: string | null,
): SQL {
  const input = rows.map((r) => {
    const f = productFacts(r.data);
    return { id: r.id, sku: r.sku, data: r.data, has: f.has, facts: f.facts, skus: f.skus, stock: f.stock, price_min: f.priceMin };
  });
  return sql`with x as materialized (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
        as x(id uuid, sku text, data jsonb, has int, facts jsonb, skus jsonb, stock numeric, price_min numeric)),
    facts as (
      insert into record_facts (id, entity, sku, has, facts, stock_total, price_min, status, date_created)
      select id, 'product', sku, has, lower(facts::text)::jsonb || jsonb_build_object('skus', skus),
        coalesce(stock, cs_stock_total(data)), price_min,
        case when jsonb_typeof(data -> 'status') = 'string' then data ->> 'status' end,
        case when jsonb_typeof(data -> 'dateCreated') = 'string' then data ->> 'dateCreated' end
      from x)
    insert into records (id, entity, sku, data, source_connection_id)
    select id, 'product', sku, data, ${sourceConnectionId}::uuid from x`;
}
