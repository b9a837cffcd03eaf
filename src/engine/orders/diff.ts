import {
  ORDER_FIELD_SETTING, ORDER_UPDATE_FIELDS, type Order, type OrderPatch, type OrderSettingsField, type OrderUpdateField,
} from '../../model/order.js';
import type { LineMatch } from './lines.js';

/** One order field that differs; the same shape as a product FieldChange, for the API and panel. */
export interface OrderFieldChange {
  field: OrderSettingsField | 'order';
  path: string;
  kind: 'insert' | 'update';
  old: unknown;
  new: unknown;
}

/**
 * The fulfilment fields (status, dates closed, shipments, invoice, messages, notes)
 * that differ from `prev` to `next`, among those `include` allows, with the patch
 * carrying only them.
 *
 * @example
 * diffOrder({ ...o, status: 'shipped' }, o).patch // { status: 'shipped' }
 */
export function diffOrder(
  next: Order, prev: Order | null, include: (f: OrderSettingsField) => boolean = () => true,
): { changes: OrderFieldChange[]; patch: OrderPatch } {
  const changes: OrderFieldChange[] = [];
  const patch: Record<string, unknown> = {};
  for (const f of ORDER_UPDATE_FIELDS) {
    if (!include(ORDER_FIELD_SETTING[f])) continue;
    const a = prev ? prev[f] : undefined;
    const b = next[f];
    if (prev && same(a, b)) continue;
    changes.push({ field: ORDER_FIELD_SETTING[f], path: f, kind: prev ? 'update' : 'insert', old: a ?? null, new: b });
    patch[f] = b;
  }
  return { changes, patch: patch as OrderPatch };
}

/** Copies the fields named by `changes` from `source` into `record`. */
export function applyOrderChanges(record: Order, source: Order, changes: OrderFieldChange[]): Order {
  if (changes.length === 0) return record;
  const out: Record<string, unknown> = { ...record };
  for (const c of changes) if ((ORDER_UPDATE_FIELDS as readonly string[]).includes(c.path)) out[c.path] = source[c.path as OrderUpdateField];
  return out as Order;
}

/**
 * A connection's view of an order as a hub record: each line names the hub product
 * it was matched to (and that variation's SKU); the platform's ids stay in the
 * equivalence's acknowledged state.
 */
export function toHubOrder(view: Order, matches: LineMatch[]): Order {
  return {
    ...view,
    lines: view.lines.map((l, i) => {
      const { productId: _p, variationId: _v, productRecordId: _r, variationKey: _k, ...rest } = l;
      const m = matches[i];
      return m?.ok ? { ...rest, sku: m.line.sku || rest.sku, productRecordId: m.line.productRecordId, variationKey: m.line.key } : rest;
    }),
  };
}

/** Equality that ignores key order (jsonb from the database does not keep it). */
export function same(a: unknown, b: unknown): boolean {
  return stableJson(a) === stableJson(b);
}

/** JSON with object keys sorted, so equal values give equal text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  }) ?? 'undefined';
}
