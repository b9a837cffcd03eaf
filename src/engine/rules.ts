import type { Availability, Product, Variation } from '../model/product.js';
import { PRODUCT_FIELDS, VARIATION_FIELDS, VARIATION_KEY } from '../model/product.js';
import { fieldMode, type ConnectionSettings } from '../model/settings.js';
import { matchVariations } from './diff.js';
import { mappingOf } from './mapping/compile.js';

const cents = (n: number) => Math.round(n * 100) / 100;

/** The price a connection shows for a hub price: margin, fixed add, rounding. */
export function applyPriceRule(amount: number, rule: ConnectionSettings['price']): number {
  const raw = amount * (1 + rule.marginPercent / 100) + rule.add;
  switch (rule.round) {
    case 'integer': return Math.round(raw);
    case 'cents99': return raw <= 0 ? 0 : Math.floor(raw) + 0.99;
    default: return cents(raw);
  }
}

/** The hub price behind a price seen on a connection (the inverse of its rule, to the cent). */
export function invertPriceRule(amount: number, rule: ConnectionSettings['price']): number {
  if (rule.marginPercent === 0 && rule.add === 0) return amount;
  return cents((amount - rule.add) / (1 + rule.marginPercent / 100));
}

/** The quantity a connection shows: minus the safety buffer, capped at max, never below zero. */
export function applyStockRule(quantity: number, rule: ConnectionSettings['stock']): number {
  let q = Math.max(0, quantity - rule.buffer);
  if (rule.max !== null) q = Math.min(q, rule.max);
  return q;
}

/**
 * What a connection should hold for a hub record: stock held by open order
 * reservations taken off (`reserved`, per variation key), then its price and stock
 * rules applied, then its listing rules (engine/mapping: categories, attributes,
 * templates, currency, delivery time, publish state; `ack` is what it holds now, null
 * before a create). Fields the connection does not `write` are left out of comparisons
 * by the diff, not here, so the projection stays a complete product.
 */
export function project(record: Product, settings: ConnectionSettings, reserved?: ReadonlyMap<string, number>, ack?: Product | null): Product {
  const ruled = applyRules(record, settings, reserved);
  const mapping = mappingOf(settings);
  return mapping ? mapping.apply(ruled, record, ack ?? null) : ruled;
}

/**
 * What keeps a projection from being written anywhere: a price below zero or not a
 * number (a hub price below zero, or price rules such as a large negative `add` that
 * take it there). The row stays pending with an issue on the record; the rest of the
 * send goes on.
 */
export function priceProblems(target: Product, connectionName: string): { code: 'invalid_price'; message: string }[] {
  const bad = target.variations.flatMap((v) => v.prices.filter((p) => !Number.isFinite(p.amount) || p.amount < 0).map((p) => ({ v, p })));
  if (bad.length === 0) return [];
  const { v, p } = bad[0];
  const shown = Number.isFinite(p.amount) ? p.amount.toFixed(2) : String(p.amount);
  return [{
    code: 'invalid_price',
    message: `the price for ${connectionName} of ${v.sku || target.sku || 'this product'} would be ${shown} ${p.currency}` +
      `${bad.length > 1 ? ` (and ${bad.length - 1} more)` : ''}: a price below zero is never written; check the price and this connection's price rules`,
  }];
}

/** Reservations, price and stock rules: the part of the projection before the listing rules. */
export function applyRules(record: Product, settings: ConnectionSettings, reserved?: ReadonlyMap<string, number>): Product {
  const priceIdentity = settings.price.marginPercent === 0 && settings.price.add === 0 && settings.price.round === 'none';
  const stockIdentity = settings.stock.buffer === 0 && settings.stock.max === null;
  const holds = reserved !== undefined && reserved.size > 0;
  if (priceIdentity && stockIdentity && !holds) return record;
  return {
    ...record,
    variations: record.variations.map((v, i) => {
      const held = holds ? reserved.get(variationKey(v, i)) ?? 0 : 0;
      const available = held > 0 ? withoutReserved(v.availabilities, held) : v.availabilities;
      return {
        ...v,
        prices: priceIdentity ? v.prices : v.prices.map((p) => ({ ...p, amount: applyPriceRule(p.amount, settings.price) })),
        availabilities: stockIdentity
          ? available
          : available.map((a) => ({ ...a, quantity: applyStockRule(a.quantity, settings.stock) })),
      };
    }),
  };
}

/** How order reservations name a variation: its SKU, or its position when it has none. */
export function variationKey(v: Pick<Variation, 'sku'>, index: number): string {
  return v.sku || `#${index}`;
}

/** Takes `qty` off the quantities, the default location first, never below zero. */
function withoutReserved(list: Availability[], qty: number): Availability[] {
  const order = list.map((a, i) => ({ a, i })).sort((x, y) => Number(y.a.tag === 'default') - Number(x.a.tag === 'default'));
  const out = list.map((a) => ({ ...a }));
  let left = qty;
  for (const { i } of order) {
    if (left <= 0) break;
    const take = Math.min(left, Math.max(0, out[i].quantity));
    out[i].quantity -= take;
    left -= take;
  }
  return out;
}

/** Turns a connection's view back into hub values (prices un-margined). Stock buffers are not invertible. */
export function unproject(view: Product, settings: ConnectionSettings): Product {
  const rule = settings.price;
  const mapping = mappingOf(settings);
  if (mapping) view = mapping.unmapNew(view);
  if (rule.marginPercent === 0 && rule.add === 0) return view;
  return {
    ...view,
    variations: view.variations.map((v) => ({
      ...v,
      prices: v.prices.map((p) => ({ ...p, amount: invertPriceRule(p.amount, rule) })),
    })),
  };
}

/**
 * Hub values behind what a connection shows now, given what it showed before
 * (`before`: its acknowledged state, or the projection it should have shown) and the
 * hub record. Prices are un-margined. A buffered or capped quantity cannot be
 * inverted, so on a connection with a stock rule what changed there since `before`
 * is applied to the hub's quantity: one sold there is one less in the hub.
 */
export function unprojectSeen(view: Product, settings: ConnectionSettings, before: Product | null, record: Product): Product {
  const mapping = mappingOf(settings);
  if (!mapping) return unprojectStock(view, settings, before, record);
  return mapping.mergePriceLists(unprojectStock(mapping.unmapSeen(view, record), settings, before, record), record);
}

function unprojectStock(view: Product, settings: ConnectionSettings, before: Product | null, record: Product): Product {
  const rule = settings.price;
  const hub = rule.marginPercent === 0 && rule.add === 0 ? view : {
    ...view,
    variations: view.variations.map((v) => ({ ...v, prices: v.prices.map((p) => ({ ...p, amount: invertPriceRule(p.amount, rule) })) })),
  };
  if ((settings.stock.buffer === 0 && settings.stock.max === null) || !before) return hub;
  const was = matchVariations(view.variations, before.variations);
  const now = matchVariations(view.variations, record.variations);
  return {
    ...hub,
    variations: hub.variations.map((v, i) => {
      const seenBefore = was[i].prev;
      const inHub = now[i].prev;
      if (!seenBefore || !inHub) return v;
      return {
        ...v,
        availabilities: v.availabilities.map((a) => {
          const b = seenBefore.availabilities.find((x) => x.tag === a.tag);
          const h = inHub.availabilities.find((x) => x.tag === a.tag);
          return b && h ? { ...a, quantity: Math.max(0, h.quantity + a.quantity - b.quantity) } : a;
        }),
      };
    }),
  };
}

/** The product a create sends: the projection without the fields this connection does not write. */
export function forCreate(target: Product, settings: ConnectionSettings): Product {
  const out: Product = { ...target, variations: target.variations.map(stripVariationIds) };
  for (const f of PRODUCT_FIELDS) {
    if (f === 'status' || f === 'deliveryDays') continue;
    if (!fieldMode(settings, f).write) (out as Record<string, unknown>)[f] = emptyOf(out[f]);
  }
  for (const f of VARIATION_FIELDS) {
    if (fieldMode(settings, f).write) continue;
    const key = VARIATION_KEY[f];
    out.variations = out.variations.map((v) => ({ ...v, [key]: emptyOf(v[key]) }));
  }
  return out;
}

function stripVariationIds(v: Variation): Variation {
  if (v.id === undefined) return v;
  const { id: _id, ...rest } = v;
  return rest;
}

function emptyOf(v: unknown): unknown {
  if (Array.isArray(v)) return [];
  if (typeof v === 'string') return '';
  return v;
}
