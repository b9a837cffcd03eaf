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
