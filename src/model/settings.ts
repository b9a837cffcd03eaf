import { z } from 'zod';
import { PRODUCT_FIELDS, VARIATION_FIELDS, type SettingsField } from './product.js';
import { ORDER_SETTINGS_FIELDS, type OrderSettingsField } from './order.js';
import { mappingIssues, mappingSettingsShape } from '../engine/mapping/schema.js';
import { DEFAULT_SCHEDULE, Schedule } from './schedule.js';
import { numberIn, parseClamped, RANGES, wholeIn } from './limits.js';

/** Product fields, then the order-only fields (`status` is shared: publish status / order status). */
export const SETTINGS_FIELDS: readonly (SettingsField | OrderSettingsField)[] = [
  ...new Set([...PRODUCT_FIELDS, ...VARIATION_FIELDS, ...ORDER_SETTINGS_FIELDS]),
];

const FieldMode = z.object({
  detect: z.boolean().default(true),
  write: z.boolean().default(true),
}).strict();

const fieldsShape = Object.fromEntries(SETTINGS_FIELDS.map((f) => [f, FieldMode.optional()])) as
  Record<SettingsField | OrderSettingsField, z.ZodOptional<typeof FieldMode>>;

/** Thresholds of the sets "with low-stock", "with low-price", "bad price" and of the mass-delete guard. */
export const DEFAULT_THRESHOLDS = { lowStock: 5, lowPrice: 1, badPrice: 0, massDeleteShare: 0.3 } as const;
export const Thresholds = z.object({
  /** Total stock at or below this (and above 0) is low stock. */
  lowStock: numberIn('lowStock', RANGES.lowStock).default(DEFAULT_THRESHOLDS.lowStock),
  /** A lowest price below this (and above badPrice) is a low price. */
  lowPrice: numberIn('lowPrice', [0, RANGES.price[1]]).default(DEFAULT_THRESHOLDS.lowPrice),
  /** A price at or below this, or a variation without a price, is a bad price. */
  badPrice: numberIn('badPrice', RANGES.price).default(DEFAULT_THRESHOLDS.badPrice),
  /** A full rescan that would mark more than this share of a connection's listings gone marks none. */
  massDeleteShare: numberIn('massDeleteShare', [0, 1]).default(DEFAULT_THRESHOLDS.massDeleteShare),
}).strict();
export type Thresholds = z.infer<typeof Thresholds>;

/**
 * A connection's settings (SPEC section 9). Everything is optional; defaults
 * are: absorb nothing, detect and write every field, no price or stock rules.
 */
export const ConnectionSettings = z.object({
  absorb: z.object({
    products: z.boolean().default(false),
    orders: z.boolean().default(false),
  }).strict().default({ products: false, orders: false }),
  fields: z.object(fieldsShape).strict().default({}),
  price: z.object({
    marginPercent: numberIn('marginPercent', RANGES.marginPercent).default(0),
    add: numberIn('add', RANGES.priceAdd).default(0),
    round: z.enum(['none', 'cents99', 'integer']).default('none'),
  }).strict().default({ marginPercent: 0, add: 0, round: 'none' }),
  stock: z.object({
    buffer: wholeIn('buffer', RANGES.stockBuffer).default(0),
    max: wholeIn('max', RANGES.stockMax).nullable().default(null),
  }).strict().default({ buffer: 0, max: null }),
  /** Listing rules (engine/mapping): categories, attributes, mapping groups, currency, delivery time, publish state, matching, order defaults. */
  ...mappingSettingsShape,
  thresholds: Thresholds.default(DEFAULT_THRESHOLDS),
  /** When jobs run by themselves: intervals or cron per job, quiet hours for heavy jobs (model/schedule.ts). */
  schedule: Schedule.default(DEFAULT_SCHEDULE),
}).strict().superRefine((s, ctx) => {
  for (const i of mappingIssues(s)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
});
export type ConnectionSettings = z.infer<typeof ConnectionSettings>;

/**
 * Settings as stored: parsed as ConnectionSettings, with a number stored before its
 * range existed (a margin of 5000 %, say) brought to the nearest end of its range, so
 * such a connection keeps working; the next change of its settings must be in range.
 */
export function parseStoredSettings(raw: unknown): ConnectionSettings {
  const parsed = parseClamped(ConnectionSettings, raw ?? {});
  return parsed.success ? parsed.data : ConnectionSettings.parse(raw ?? {});
}

export function fieldMode(settings: ConnectionSettings, field: SettingsField | OrderSettingsField): { detect: boolean; write: boolean } {
  const m = settings.fields[field];
  return { detect: m?.detect ?? true, write: m?.write ?? true };
}

/** Deep-merges a partial settings patch into the current settings (objects merge, values replace). */
export function mergeSettings(current: unknown, patch: unknown): unknown {
  if (!isPlainObject(current) || !isPlainObject(patch)) return patch === undefined ? current : patch;
  const out: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(patch)) out[k] = mergeSettings(current[k], v);
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
