/**
 * Tolerant readers for what real platforms send: numbers as strings, empty dates,
 * non-ISO currencies. Each reader returns a clean value and reports what it had to
 * fix as a notice, so the record is kept and the merchant can see what was changed.
 */

export interface Notice {
  code: string;
  message: string;
  field?: string;
}

export class Notices {
  readonly items: Notice[] = [];
  add(code: string, message: string, field?: string): void {
    this.items.push({ code, message, field });
  }
}

const ISO_CURRENCIES = new Set<string>(
  typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('currency') : ['USD', 'EUR', 'MXN', 'GBP'],
);

/** Country codes and symbols stores send in place of an ISO 4217 code. */
const CURRENCY_ALIASES: Record<string, string> = {
  MX: 'MXN', US: 'USD', USA: 'USD', EU: 'EUR', UK: 'GBP', GB: 'GBP', CA: 'CAD', AR: 'ARS', BR: 'BRL',
  CO: 'COP', CL: 'CLP', PE: 'PEN', JP: 'JPY', CN: 'CNY', IN: 'INR', AU: 'AUD', CH: 'CHF',
  $: 'USD', US$: 'USD', '€': 'EUR', '£': 'GBP', '¥': 'JPY', MX$: 'MXN', PESOS: 'MXN', DOLLARS: 'USD', EURO: 'EUR', EUROS: 'EUR',
};

export function isIsoCurrency(code: string): boolean {
  return ISO_CURRENCIES.has(code);
}

/** Reads a currency; unknown values fall back to `fallback` with a warning-level notice. */
export function readCurrency(value: unknown, field: string, notices: Notices, fallback = 'USD'): string {
  const raw = typeof value === 'string' ? value.trim() : '';
  if (raw === '') {
    notices.add('currency_missing', `${field}: no currency given, assumed ${fallback}`, field);
    return fallback;
  }
  const upper = raw.toUpperCase();
  if (isIsoCurrency(upper)) {
    if (upper !== raw) notices.add('currency_normalised', `${field}: currency "${raw}" read as ${upper}`, field);
    return upper;
  }
  const alias = CURRENCY_ALIASES[upper];
  if (alias) {
    notices.add('currency_normalised', `${field}: currency "${raw}" is not ISO 4217, read as ${alias}`, field);
    return alias;
  }
  notices.add('currency_unknown', `${field}: currency "${raw}" is not a known ISO 4217 code, assumed ${fallback}`, field);
  return fallback;
}

/**
 * Reads a number sent as a number or a numeric string ("1060.51", "1,060.51", " 50 ").
 * Returns null (with a notice) when nothing numeric can be read.
 */
export function readNumber(value: unknown, field: string, notices: Notices): number | null {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    notices.add('number_invalid', `${field}: ${String(value)} is not a number`, field);
    return null;
  }
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'string') {
    const cleaned = value.trim().replace(/,(?=\d{3}(\D|$))/g, '');
    if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(cleaned)) return Number(cleaned);
  }
  notices.add('number_invalid', `${field}: ${JSON.stringify(value)} is not a number`, field);
  return null;
}

/** Reads an integer quantity; fractional values are truncated with a notice. */
export function readQuantity(value: unknown, field: string, notices: Notices): number | null {
  const n = readNumber(value, field, notices);
  if (n === null) return null;
  if (!Number.isInteger(n)) {
    notices.add('quantity_fraction', `${field}: quantity ${n} truncated to ${Math.trunc(n)}`, field);
    return Math.trunc(n);
  }
  return n;
}

/** Reads a string field; numbers are turned into strings, anything else is dropped with a notice. */
export function readString(value: unknown, field: string, notices: Notices): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  notices.add('string_invalid', `${field}: expected text, got ${Array.isArray(value) ? 'a list' : typeof value}; ignored`, field);
  return '';
}

/** Reads a date; empty values become null silently, unreadable ones with a notice. Returns ISO 8601. */
export function readDate(value: unknown, field: string, notices: Notices): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'string' || typeof value === 'number') {
    const d = new Date(value);
    if (!Number.isNaN(d.getTime())) return d.toISOString();
  }
  notices.add('date_invalid', `${field}: ${JSON.stringify(value)} is not a date; ignored`, field);
  return null;
}

/** Reads a list; a single object is wrapped, anything else becomes [] with a notice. */
export function readList(value: unknown, field: string, notices: Notices): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === null || value === undefined || value === '') return [];
  if (typeof value === 'object') return [value];
  notices.add('list_invalid', `${field}: expected a list, got ${typeof value}; ignored`, field);
  return [];
}

/** A plain object (not null, not a list): what a record or a sub-record must be. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A platform id: a non-empty string, or a finite number as a string; null otherwise. */
export function readId(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** A value as a notice names it: "missing", "a list", "an object", a quoted (shortened) string, "number 3". */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
