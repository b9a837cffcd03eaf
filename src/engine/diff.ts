import { createHash } from 'node:crypto';
import type { Availability, Price, Product, Variation } from '../model/product.js';
import { PRODUCT_FIELDS, VARIATION_FIELDS, VARIATION_KEY, type SettingsField } from '../model/product.js';
import type { ProductPatch } from '../connectors/types.js';

/**
 * One field that differs. `kind` is the colour the panel shows: insert (green,
 * the record or variation is new there), update (yellow), remove (red: a
 * sub-item such as an image is to be removed).
 */
export interface FieldChange {
  field: SettingsField;
  /** `title`, or `variations[SKU].prices` for a variation field. */
  path: string;
  kind: 'insert' | 'update' | 'remove';
  old: unknown;
  new: unknown;
}

export interface ProductDiff {
  changes: FieldChange[];
  patch: ProductPatch;
}

/** Fields to compare; by default all of them. */
export type FieldFilter = (field: SettingsField) => boolean;
const ALL: FieldFilter = () => true;

function sortTagged<T extends { tag: string }>(list: T[]): T[] {
  return list.length < 2 ? list : [...list].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}

function samePrices(a: Price[], b: Price[]): boolean {
  if (a.length !== b.length) return false;
  const x = sortTagged(a);
  const y = sortTagged(b);
  return x.every((p, i) => p.tag === y[i].tag && p.currency === y[i].currency && Math.abs(p.amount - y[i].amount) < 0.005);
}

function sameAvailabilities(a: Availability[], b: Availability[]): boolean {
  if (a.length !== b.length) return false;
  const x = sortTagged(a);
  const y = sortTagged(b);
  return x.every((p, i) => p.tag === y[i].tag && p.quantity === y[i].quantity);
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return sameList(a as string[], b as string[]);
  return a === b;
}

function sameVariationField(key: keyof Variation, a: Variation, b: Variation): boolean {
  if (key === 'prices') return samePrices(a.prices, b.prices);
  if (key === 'availabilities') return sameAvailabilities(a.availabilities, b.availabilities);
  return sameValue(a[key], b[key]);
}

/**
 * Pairs each variation of `next` with one of `prev`: by SKU when it has one, else by
 * barcode (a listing bound by offer match carries the platform's own SKUs), else by position.
 */
export function matchVariations(next: Variation[], prev: Variation[]): Array<{ next: Variation; prev: Variation | null; prevIndex: number }> {
  const bySku = new Map<string, number>();
  prev.forEach((v, i) => { if (v.sku && !bySku.has(v.sku)) bySku.set(v.sku, i); });
  const skus = new Set(next.map((v) => v.sku).filter(Boolean));
  const byBarcode = new Map<string, number>();
  prev.forEach((v, i) => { if (v.barcode && !skus.has(v.sku) && !byBarcode.has(v.barcode)) byBarcode.set(v.barcode, i); });
  const used = new Set<number>();
  return next.map((v, i) => {
    let idx = v.sku ? bySku.get(v.sku) : undefined;
    if (idx === undefined && v.barcode && byBarcode.size > 0) idx = byBarcode.get(v.barcode);
    if (idx === undefined && !v.sku && i < prev.length && !prev[i].sku) idx = i;
    if (idx === undefined || used.has(idx)) return { next: v, prev: null, prevIndex: -1 };
    used.add(idx);
    return { next: v, prev: prev[idx], prevIndex: idx };
  });
}

function removesItems(oldList: unknown, newList: unknown): boolean {
  if (!Array.isArray(oldList) || !Array.isArray(newList)) return false;
  const keep = new Set(newList.map((x) => JSON.stringify(x)));
  return oldList.some((x) => !keep.has(JSON.stringify(x)));
}

/**
 * Field-by-field difference from `prev` (what a connection last acknowledged, or
 * null if it has nothing yet) to `next` (what it should hold). The patch carries
 * only the changed fields, addressed by the platform's variation ids from `prev`.
 */
export function diffProducts(next: Product, prev: Product | null, include: FieldFilter = ALL): ProductDiff {
  const changes: FieldChange[] = [];
  const patch: ProductPatch = { fields: {}, variations: [] };
  const base = prev ?? null;
  for (const f of PRODUCT_FIELDS) {
    if (!include(f)) continue;
    const a = base ? base[f] : undefined;
    const b = next[f];
    if (base && sameValue(a, b)) continue;
    if (!base && (b === '' || (Array.isArray(b) && b.length === 0) || b === null)) continue;
    changes.push({ field: f, path: f, kind: !base ? 'insert' : removesItems(a, b) ? 'remove' : 'update', old: a ?? null, new: b });
    (patch.fields as Record<string, unknown>)[f] = b;
  }
  if (next.sku !== (base?.sku ?? next.sku)) (patch.fields as Record<string, unknown>).sku = next.sku;
  const pairs = matchVariations(next.variations, base?.variations ?? []);
  pairs.forEach(({ next: v, prev: pv, prevIndex }, i) => {
    const label = `variations[${v.sku || i}]`;
    const vchanges: Partial<Variation> = {};
    for (const f of VARIATION_FIELDS) {
      if (!include(f)) continue;
      const key = VARIATION_KEY[f];
      if (pv && sameVariationField(key, v, pv)) continue;
      const value = v[key];
      if (!pv && Array.isArray(value) && value.length === 0) continue;
      if (!pv && value === '') continue;
      changes.push({
        field: f, path: `${label}.${key}`,
        kind: !pv ? 'insert' : removesItems(pv[key], value) && f === 'images' ? 'remove' : 'update',
        old: pv ? pv[key] : null, new: value,
      });
      (vchanges as Record<string, unknown>)[key] = value;
    }
    if (!pv && base) {
      patch.variations.push({ index: i, sku: v.sku, changes: { ...v, id: undefined }, isNew: true });
      if (Object.keys(vchanges).length === 0) {
        changes.push({ field: 'stock', path: label, kind: 'insert', old: null, new: v.sku });
      }
    } else if (Object.keys(vchanges).length > 0) {
      patch.variations.push({ id: pv?.id, index: prevIndex, sku: v.sku, changes: vchanges });
    }
  });
  return { changes, patch };
}

/** A stable content hash of a product as seen on a platform: equal hash, nothing to analyse. */
export function fingerprint(value: unknown): string {
  return createHash('sha1').update(JSON.stringify(value)).digest('base64url');
}

/**
 * Copies the fields named by `changes` (paths from diffProducts with `source` as
 * next) from `source` into `record`. Variations are matched by SKU, else position;
 * a variation new in `source` is added. Returns a new record.
 */
export function applyChanges(record: Product, source: Product, changes: FieldChange[]): Product {
  if (changes.length === 0) return record;
  const paths = new Set(changes.map((c) => c.path));
  const out: Product = { ...record, variations: [...record.variations] };
  for (const f of PRODUCT_FIELDS) if (paths.has(f)) (out as Record<string, unknown>)[f] = source[f];
  if (paths.has('sku')) out.sku = source.sku;
  matchVariations(source.variations, record.variations).forEach(({ next: v, prev: pv, prevIndex }, i) => {
    const label = `variations[${v.sku || i}]`;
    const touched = changes.filter((c) => c.path === label || c.path.startsWith(label + '.'));
    if (touched.length === 0) return;
    if (!pv) {
      const { id: _id, ...clean } = v;
      out.variations.push(clean);
      return;
    }
    const merged: Variation = { ...pv };
    for (const c of touched) {
      const key = c.path.slice(label.length + 1) as keyof Variation;
      if (key) (merged as Record<string, unknown>)[key] = v[key];
    }
    out.variations[prevIndex] = merged;
  });
  return out;
}

/** A product without the platform's variation ids: how a connection's view becomes a hub record. */
export function withoutPlatformIds(p: Product): Product {
  return { ...p, variations: p.variations.map(({ id: _id, ...v }) => v) };
}
