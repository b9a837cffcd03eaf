import { z } from 'zod';
import { compileSelector, SelectorError } from './selector.js';
import { templatePlaceholders, PLACEHOLDERS } from './template.js';
import { orderGroups } from './groups.js';
import { numberIn, RANGES, wholeIn } from '../../model/limits.js';

/**
 * The listing rules of a connection (issue 8), as optional settings: left out, the
 * connection receives the hub record exactly as before. Validated here so a bad rule
 * is a 400 naming the rule and the field (`settings.groups.1.title`).
 */

const Iso = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code such as USD');
const Round = z.enum(['none', 'cents99', 'integer']);

/** Where a variation option comes from in the hub record: a field, or the value of a product tag `prefix:value`. */
export const AttributeSource = z.union([
  z.enum(['color', 'size', 'model', 'mpn', 'brand']),
  z.string().regex(/^tag:.+$/, 'a field (color, size, model, mpn, brand) or tag:PREFIX (the tag "PREFIX:value")'),
]);
export type AttributeSource = z.infer<typeof AttributeSource>;

/** Value translation tables: hub value -> platform value, matched case-insensitively. */
export const Translations = z.object({
  color: z.record(z.string(), z.string()).optional(),
  size: z.record(z.string(), z.string()).optional(),
}).strict();
export type Translations = z.infer<typeof Translations>;

export const Attributes = z.object({
  color: AttributeSource.optional(),
  size: AttributeSource.optional(),
  translations: Translations.optional(),
}).strict();
export type Attributes = z.infer<typeof Attributes>;

/** One line of the category table: exactly one of category / brand / tag / set selects, `to` is the platform's category. */
export const CategoryRule = z.object({
  category: z.string().min(1).optional(),
  brand: z.string().min(1).optional(),
  tag: z.string().min(1).optional(),
  set: z.string().min(1).optional(),
  to: z.string().min(1),
}).strict();
export type CategoryRule = z.infer<typeof CategoryRule>;

/** Product fields a mapping group may override; strings are templates with placeholders. */
export const GroupFields = z.object({
  brand: z.string().optional(),
  mpn: z.string().optional(),
  model: z.string().optional(),
  url: z.string().optional(),
  deliveryDays: wholeIn('deliveryDays', RANGES.deliveryDays).optional(),
}).strict();

/**
 * A mapping group (EffectConnect's term): named rules applied to the records its
 * `select` expression selects. Where groups disagree, a group wins over the ones it
 * names in `overrides`, then the higher `priority`.
 *
 * @example
 * { name: 'Shoes', select: 'of category Footwear', category: 'Shoes', title: '{brand} {title} {size}' }
 */
export const MappingGroup = z.object({
  name: z.string().trim().min(1),
  select: z.string().default(''),
  priority: wholeIn('priority', RANGES.priority).default(0),
  overrides: z.array(z.string()).default([]),
  category: z.string().min(1).optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  attributes: Attributes.optional(),
  fields: GroupFields.optional(),
}).strict();
export type MappingGroup = z.infer<typeof MappingGroup>;

export const Currency = z.object({
  /** The connection's currency; hub prices in another currency are converted with `rates`. */
  code: Iso.optional(),
  /** The hub price list (price tag) this connection shows. */
  priceListTag: z.string().min(1).optional(),
  /** Units of `code` for one unit of each other currency: `{ EUR: 1.08 }`. Kept by the user; never fetched. */
  rates: z.record(z.string(), numberIn('rate', RANGES.rate)).default({}),
  round: Round.default('none'),
}).strict();

export const Publish = z.object({
  /** How records the hub creates here start; left out, as the hub record is. */
  newRecords: z.enum(['published', 'unpublished']).optional(),
  /** Unpublish a listing whose stock shown here is zero (and publish it again when stock returns, if the hub governs its status). */
  unpublishAtZeroStock: z.boolean().default(false),
}).strict();

export const OrderDefaults = z.object({
  status: z.enum(['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded']).optional(),
  shippingMethod: z.string().optional(),
  paymentMethod: z.string().optional(),
  customerGroup: z.string().optional(),
  note: z.string().optional(),
}).strict();

export const Matching = z.object({
  /** How a listing found here is recognised as a hub record: by SKU (default), barcode, or either. */
  by: z.enum(['sku', 'barcode', 'sku_or_barcode']).default('sku'),
  /** Before the first creates of a send, read this platform's listing and bind matches instead of creating them. */
  lookupBeforeCreate: z.boolean().default(false),
}).strict();

/** The optional settings keys this module adds to ConnectionSettings. */
export const mappingSettingsShape = {
  /** The platform's categories; when given, every category a rule maps to must be one of them. */
  platformCategories: z.array(z.string().min(1)).optional(),
  defaultCategory: z.string().min(1).optional(),
  categoryMap: z.array(CategoryRule).optional(),
  /** Records without a category here are held with an issue instead of being written. */
  requireCategory: z.boolean().optional(),
  attributes: Attributes.optional(),
  groups: z.array(MappingGroup).optional(),
  currency: Currency.optional(),
  /** Delivery time (days) sent for records that have none. */
  deliveryDays: wholeIn('deliveryDays', RANGES.deliveryDays).optional(),
  publish: Publish.optional(),
  orderDefaults: OrderDefaults.optional(),
  matching: Matching.optional(),
};

export interface MappingSettings {
  platformCategories?: string[];
  defaultCategory?: string;
  categoryMap?: CategoryRule[];
  requireCategory?: boolean;
  attributes?: Attributes;
  groups?: MappingGroup[];
  currency?: z.infer<typeof Currency>;
  deliveryDays?: number;
  publish?: z.infer<typeof Publish>;
  orderDefaults?: z.infer<typeof OrderDefaults>;
  matching?: z.infer<typeof Matching>;
}

type Issue = { path: (string | number)[]; message: string };

/**
 * The checks zod cannot express: categories the platform does not have, selectors and
 * templates that do not parse, overrides naming unknown groups or forming a cycle,
 * rates keyed by something that is not a currency.
 */
export function mappingIssues(s: MappingSettings): Issue[] {
  const out: Issue[] = [];
  const known = s.platformCategories ? new Map(s.platformCategories.map((c) => [c.toLowerCase(), c])) : null;
  const checkCategory = (value: string | undefined, path: (string | number)[], rule: string) => {
    if (value === undefined || !known || known.has(value.toLowerCase())) return;
    const near = closest(value, s.platformCategories!);
    out.push({ path, message: `${rule}: "${value}" is not a category of this platform (platformCategories)${near ? `; did you mean "${near}"?` : ''}` });
  };
  checkCategory(s.defaultCategory, ['defaultCategory'], 'default category');
  s.categoryMap?.forEach((r, i) => {
    const rule = `category rule ${i + 1}`;
    const selectors = (['category', 'brand', 'tag', 'set'] as const).filter((k) => r[k] !== undefined);
    if (selectors.length !== 1) {
      out.push({ path: ['categoryMap', i], message: `${rule}: needs exactly one of category, brand, tag or set to select records (has ${selectors.length === 0 ? 'none' : selectors.join(' and ')})` });
    }
    if (r.set !== undefined) selectorIssue(r.set, ['categoryMap', i, 'set'], rule, out);
    checkCategory(r.to, ['categoryMap', i, 'to'], rule);
  });
  attributeIssues(s.attributes, ['attributes'], 'attributes', out);
  const groups = s.groups ?? [];
  const names = new Map<string, number>();
  groups.forEach((g, i) => {
    const rule = `mapping group "${g.name}"`;
    if (names.has(g.name.toLowerCase())) out.push({ path: ['groups', i, 'name'], message: `${rule}: the name is used by group ${names.get(g.name.toLowerCase())! + 1} already` });
    else names.set(g.name.toLowerCase(), i);
    selectorIssue(g.select, ['groups', i, 'select'], rule, out);
    checkCategory(g.category, ['groups', i, 'category'], rule);
    for (const f of ['title', 'description'] as const) templateIssue(g[f], ['groups', i, f], rule, out);
    for (const [f, v] of Object.entries(g.fields ?? {})) if (typeof v === 'string') templateIssue(v, ['groups', i, 'fields', f], rule, out);
    attributeIssues(g.attributes, ['groups', i, 'attributes'], rule, out);
  });
  groups.forEach((g, i) => g.overrides.forEach((o, j) => {
    if (!names.has(o.toLowerCase())) {
      out.push({ path: ['groups', i, 'overrides', j], message: `mapping group "${g.name}": overrides "${o}", which is not a mapping group of this connection` });
    }
  }));
  if (out.length === 0) {
    const order = orderGroups(groups);
    if (!order.ok) {
      const i = groups.findIndex((g) => g.name === order.cycle[0]);
      out.push({ path: ['groups', i, 'overrides'], message: `mapping group "${order.cycle[0]}": its overrides form a cycle (${[...order.cycle, order.cycle[0]].map((n) => `"${n}"`).join(' overrides ')})` });
    }
  }
  for (const code of Object.keys(s.currency?.rates ?? {})) {
    if (!/^[A-Z]{3}$/.test(code)) out.push({ path: ['currency', 'rates', code], message: `currency rate "${code}": not an ISO 4217 currency code such as EUR` });
  }
  return out;
}

function selectorIssue(text: string, path: (string | number)[], rule: string, out: Issue[]) {
  try {
    compileSelector(text);
  } catch (err) {
    if (!(err instanceof SelectorError)) throw err;
    out.push({ path, message: `${rule}: ${err.message}` });
  }
}

function templateIssue(text: string | undefined, path: (string | number)[], rule: string, out: Issue[]) {
  if (text === undefined) return;
  const unknown = templatePlaceholders(text).filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    out.push({ path, message: `${rule}: the placeholder {${unknown[0]}} does not exist; placeholders: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}` });
  }
}

function attributeIssues(a: Attributes | undefined, path: (string | number)[], rule: string, out: Issue[]) {
  for (const kind of ['color', 'size'] as const) {
    const table = a?.translations?.[kind];
    if (!table) continue;
    const seen = new Map<string, string>();
    for (const k of Object.keys(table)) {
      const low = k.toLowerCase();
      if (seen.has(low)) out.push({ path: [...path, 'translations', kind, k], message: `${rule}: ${kind} translation "${k}" is given twice (also as "${seen.get(low)}"); values match case-insensitively` });
      seen.set(low, k);
    }
  }
}

function closest(value: string, list: string[]): string | null {
  let best: { s: string; d: number } | null = null;
  for (const s of list) {
    const d = distance(value.toLowerCase(), s.toLowerCase());
    if (!best || d < best.d) best = { s, d };
  }
  return best && best.d <= Math.max(2, Math.floor(value.length / 3)) ? best.s : null;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
