import { z } from 'zod';

/**
 * Ranges of the numbers settings and connector configurations take. A value outside is
 * a 400 naming the field and the range: `price.add: -1e9` or `retries: 1e9` are typing
 * slips, never intentions, and the hub must not act on them.
 */
export const RANGES = {
  marginPercent: [-90, 1000],
  priceAdd: [-1_000_000, 1_000_000],
  stockBuffer: [0, 1_000_000],
  stockMax: [0, 1_000_000_000],
  lowStock: [0, 1_000_000],
  price: [-1_000_000, 1_000_000_000],
  deliveryDays: [0, 365],
  priority: [-1000, 1000],
  rate: [0.000001, 1_000_000],
  timeoutMs: [1000, 300_000],
  retries: [0, 10],
  retryBaseMs: [0, 60_000],
  maxPages: [1, 10_000_000],
} as const satisfies Record<string, readonly [number, number]>;

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 6 });

/** A finite number within [min, max]; the messages name the field and the range. */
export function numberIn(field: string, [min, max]: readonly [number, number]) {
  const range = `${field} must be between ${fmt(min)} and ${fmt(max)}`;
  return z.number({ error: `${field} must be a number (${fmt(min)} to ${fmt(max)})` }).finite(range).min(min, range).max(max, range);
}

/** A whole number within [min, max]; the messages name the field and the range. */
export function wholeIn(field: string, [min, max]: readonly [number, number]) {
  const range = `${field} must be a whole number between ${fmt(min)} and ${fmt(max)}`;
  return z.number({ error: range }).int(range).min(min, range).max(max, range);
}

/** The request settings every connector configuration shares. */
export const requestLimits = {
  timeoutMs: () => wholeIn('timeoutMs', RANGES.timeoutMs),
  retries: () => wholeIn('retries', RANGES.retries),
  retryBaseMs: () => wholeIn('retryBaseMs', RANGES.retryBaseMs),
  maxPages: () => wholeIn('maxPages', RANGES.maxPages),
};

/** Longest connection name (and the name of a mapping group or an API token). */
export const NAME_MAX = 200;
/** Longest set expression (a search, a mapping group's `select`). */
export const QUERY_MAX = 2000;
/** Longest text of a settings or configuration field, by its key; others: TEXT_MAX. */
const TEXT_MAX_BY_KEY: Record<string, number> = { name: NAME_MAX, select: QUERY_MAX, title: 2000, description: 20_000 };
const TEXT_MAX = 2000;
/** Longest key of a table in the settings (a translation, a currency rate). */
const KEY_MAX = NAME_MAX;
/** Control characters other than tab and line breaks: never meaningful in what the API takes, and NUL is refused by the database. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** How a value the API was given may be quoted back in an answer: at most 80 characters. */
export function quoted(value: string, max = 80): string {
  const s = value.replace(/[\u0000-\u001F\u007F]+/g, ' ');
  return JSON.stringify(s.length > max ? `${s.slice(0, max - 1)}…` : s);
}

/**
 * The first text of an API input that is too long or holds a control character (NUL
 * first of all), as the field it is in (`settings.groups.0.name`) and a short message;
 * null when every text is fine. Numbers and the rest are the schemas' business.
 */
export function inputTextProblem(value: unknown, path: string): { field: string; message: string } | null {
  const seen = new Set<unknown>();
  const walk = (v: unknown, where: string, key: string): { field: string; message: string } | null => {
    if (typeof v === 'string') {
      if (CONTROL.test(v)) return { field: where, message: `${where}: must not hold control characters (such as NUL)` };
      const max = TEXT_MAX_BY_KEY[key] ?? TEXT_MAX;
      if (v.length > max) return { field: where, message: `${where}: at most ${max} characters (got ${v.length})` };
      return null;
    }
    if (typeof v !== 'object' || v === null || seen.has(v)) return null;
    seen.add(v);
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
    for (const [k, x] of entries) {
      if (!Array.isArray(v)) {
        if (CONTROL.test(k)) return { field: where, message: `${where}: a key must not hold control characters (such as NUL)` };
        if (k.length > KEY_MAX) return { field: where, message: `${where}: a key of at most ${KEY_MAX} characters (got ${k.length})` };
      }
      const found = walk(x, where ? `${where}.${k}` : k, Array.isArray(v) ? key : k);
      if (found) return found;
    }
    return null;
  };
  return walk(value, path, path.split('.').pop() ?? path);
}

/**
 * Parses a value stored before the ranges of its numbers existed: a number out of its
 * range is brought to the nearest end of it (a few passes, for nested schemas), so a
 * connection saved then keeps working. What still fails to parse is returned as the failure.
 */
export function parseClamped<T extends z.ZodType>(schema: T, raw: unknown): ReturnType<T['safeParse']> {
  let value: unknown = raw;
  let parsed = schema.safeParse(value);
  for (let pass = 0; pass < 5 && !parsed.success; pass++) {
    const clamps = parsed.error.issues.flatMap((i) => {
      const bound = i.code === 'too_big' ? (i as { maximum?: unknown }).maximum : i.code === 'too_small' ? (i as { minimum?: unknown }).minimum : undefined;
      return typeof bound === 'number' && i.path.length > 0 ? [{ path: i.path, bound }] : [];
    });
    if (clamps.length === 0) break;
    value = structuredClone(value);
    let changed = false;
    for (const { path, bound } of clamps) {
      let at = value as Record<PropertyKey, unknown> | null;
      for (const k of path.slice(0, -1)) at = at && typeof at === 'object' ? at[k as PropertyKey] as Record<PropertyKey, unknown> : null;
      const last = path[path.length - 1] as PropertyKey;
      if (at && typeof at === 'object' && typeof at[last] === 'number') {
        at[last] = bound;
        changed = true;
      }
    }
    if (!changed) break;
    parsed = schema.safeParse(value);
  }
  return parsed as ReturnType<T['safeParse']>;
}
