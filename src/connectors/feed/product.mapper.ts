import type { Product, Variation } from '../../model/product.js';
import { Notices, readCurrency, readNumber, type Notice } from '../../model/normalize.js';
import type { FeedConfig, FeedField } from './config.js';

export interface FeedLine {
  row: number;
  values: Record<string, unknown>;
}

export type FromRowsResult =
  | { ok: true; record: Product; notices: Notice[] }
  | { ok: false; code: string; message: string };

class BadCell extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

const PUBLISHED = new Set(['published', 'publish', 'active', 'enabled', 'visible', 'live', 'online', 'true', '1', 'yes', '']);
const UNPUBLISHED = new Set(['unpublished', 'draft', 'inactive', 'disabled', 'hidden', 'archived', 'offline', 'false', '0', 'no']);

/**
 * The rows of one product (one row per variation, the product's own columns read
 * from its first row) as the universal product. A cell that cannot be read as what
 * its column means (a price that is not a number) makes the product unreadable,
 * with a message naming the row and the column; tolerable oddities are notices.
 *
 * @example
 * fromRows('TEE', [{ row: 2, values: { sku: 'TEE', variation_sku: 'TEE-S', price: '19.90', quantity: '4' } }], config)
 * // { ok: true, record: { sku: 'TEE', variations: [{ sku: 'TEE-S', prices: [{ tag: 'default', currency: 'USD', amount: 19.9 }], ... }] } }
 */
export function fromRows(sku: string, lines: FeedLine[], config: FeedConfig): FromRowsResult {
  const n = new Notices();
  const cols = config.columns;
  const first = lines[0];
  const text = (line: FeedLine, field: FeedField): string => {
    const column = cols[field];
    if (!column) return '';
    const v = line.values[column];
    if (v === undefined || v === null) return '';
    if (Array.isArray(v)) return v.map(String).join(config.listSeparator);
    return typeof v === 'object' ? JSON.stringify(v) : String(v).trim();
  };
  const where = (line: FeedLine, field: FeedField) => `row ${line.row}, column "${cols[field]}"`;
  const list = (line: FeedLine, field: FeedField) => {
    const column = cols[field];
    const v = column ? line.values[column] : undefined;
    const items = Array.isArray(v) ? v.map(String) : text(line, field).split(config.listSeparator);
    return items.map((s) => s.trim()).filter(Boolean);
  };
  try {
    const status = text(first, 'status').toLowerCase();
    let publish: Product['status'] = 'published';
    if (UNPUBLISHED.has(status)) publish = 'unpublished';
    else if (!PUBLISHED.has(status)) n.add('status_unknown', `${where(first, 'status')}: "${status}" is not a known status; read as published`, 'status');
    let deliveryDays: number | null = null;
    const days = text(first, 'deliveryDays');
    if (days !== '') {
      const d = Number(days);
      if (!Number.isInteger(d) || d < 0) throw new BadCell('invalid_number', `${where(first, 'deliveryDays')}: "${days}" is not a whole number of days.`);
      deliveryDays = d;
    }
    const variations: Variation[] = lines.map((line) => {
      const prices: Variation['prices'] = [];
      const priceText = text(line, 'price');
      if (priceText !== '') {
        const amount = readNumber(decimalComma(priceText), where(line, 'price'), new Notices());
        if (amount === null) throw new BadCell('invalid_number', `${where(line, 'price')}: "${priceText}" is not a number.`);
        const currencyText = text(line, 'currency');
        const currency = currencyText === '' ? config.currency : readCurrency(currencyText, where(line, 'currency'), n, config.currency);
        prices.push({ tag: 'default', currency, amount });
      }
      const availabilities: Variation['availabilities'] = [];
      const qtyText = text(line, 'quantity');
      if (qtyText !== '') {
        const q = readNumber(decimalComma(qtyText), where(line, 'quantity'), new Notices());
        if (q === null) throw new BadCell('invalid_number', `${where(line, 'quantity')}: "${qtyText}" is not a number.`);
        if (!Number.isInteger(q)) n.add('quantity_fraction', `${where(line, 'quantity')}: quantity ${q} truncated to ${Math.trunc(q)}`, 'quantity');
        availabilities.push({ tag: 'default', quantity: Math.trunc(q) });
      }
      return {
        sku: cols.variationSku ? text(line, 'variationSku') : sku,
        barcode: text(line, 'barcode'),
        size: text(line, 'size'),
        color: text(line, 'color'),
        images: list(line, 'images'),
        videos: [],
        availabilities,
        prices,
      };
    });
    const record: Product = {
      sku,
      title: text(first, 'title'),
      description: text(first, 'description'),
      brand: text(first, 'brand'),
      mpn: text(first, 'mpn'),
      model: text(first, 'model'),
      url: text(first, 'url'),
      tags: list(first, 'tags'),
      categories: list(first, 'categories'),
      status: publish,
      deliveryDays,
      variations,
    };
    return { ok: true, record, notices: n.items };
  } catch (err) {
    if (err instanceof BadCell) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}

/** "12,50" and "1.234,56" as spreadsheets in many countries write them; "1,500" stays one thousand five hundred. */
function decimalComma(text: string): string {
  if (/^[-+]?\d+,\d{1,2}$/.test(text)) return text.replace(',', '.');
  if (/^[-+]?\d{1,3}(\.\d{3})+,\d+$/.test(text)) return text.replace(/\./g, '').replace(',', '.');
  return text;
}

/** The universal fields a feed with these columns holds (the others are neither read nor written). */
export function mappedFields(config: FeedConfig): FeedField[] {
  return (Object.keys(config.columns) as FeedField[]).filter((f) => config.columns[f] !== undefined);
}
