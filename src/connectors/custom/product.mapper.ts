import { hash } from 'node:crypto';
import type { Availability, Price, Product, Variation } from '../../model/product.js';
import { Variation as VariationSchema } from '../../model/product.js';
import {
  describeValue,
  isObject,
  Notices,
  readCurrency,
  readId,
  readList,
  readNumber,
  readQuantity,
  readString,
  type Notice,
} from '../../model/normalize.js';
import type { ProductPatch } from '../types.js';

/** A variation as the custom storefront protocol sends it. */
export interface StoreVariationBody {
  _id?: string;
  sku: string;
  barcode: string;
  size: string;
  color: string;
  availabilities: Array<{ tag: string; quantity: number }>;
  prices: Array<{ tag: string; currency: string; number: number }>;
  images: Array<{ url: string }>;
  videos: Array<{ url: string }>;
}

/** A PRODUCT body as the hub sends it to a custom storefront (no `_id`: the store owns it). */
export interface StoreProductBody {
  sku: string;
  title: string;
  url: string;
  brand: string;
  mpn: string;
  model: string;
  description: string;
  tags: Array<{ value: string }>;
  status: Product['status'];
  categories?: string[];
  deliveryDays?: number;
  variations: StoreVariationBody[];
}

export type FromStoreResult =
  | { ok: true; externalId: string; record: Product; notices: Notice[] }
  | { ok: false; externalId: string | null; code: string; message: string };

/** Thrown inside the mapper for a record that cannot be understood; never escapes it. */
class Unreadable extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads one store PRODUCT into the universal product, fixing what can be fixed
 * (numbers as strings, "MX" currencies) and reporting it as notices.
 *
 * @example
 * fromStore({ _id: '7', title: 'Tee', variations: [{ prices: [{ tag: 'default', currency: 'MX', number: '10' }] }] })
 * // { ok: true, externalId: '7', record: { ..., variations: [{ id: '0', prices: [{ currency: 'MXN', amount: 10, ... }] }] },
 * //   notices: [{ code: 'currency_normalised', ... }] }
 */
export function fromStore(raw: unknown): FromStoreResult {
  if (!isObject(raw)) {
    return { ok: false, externalId: null, code: 'not_an_object', message: `The product is ${describeValue(raw)}, not an object.` };
  }
  const externalId = readId(raw._id);
  if (externalId === null) {
    return {
      ok: false,
      externalId: null,
      code: 'missing_id',
      message: `The product has no _id${typeof raw.sku === 'string' && raw.sku ? ` (sku "${raw.sku}")` : ''}.`,
    };
  }
  const n = new Notices();
  try {
    const record: Product = {
      sku: readString(raw.sku, 'sku', n),
      title: readString(raw.title, 'title', n),
      description: readString(raw.description, 'description', n),
      brand: readString(raw.brand, 'brand', n),
      mpn: readString(raw.mpn, 'mpn', n),
      model: readString(raw.model, 'model', n),
      url: readString(raw.url, 'url', n),
      tags: readLabels(raw.tags, 'tags', n),
      categories: readLabels(raw.categories, 'categories', n),
      status: readStatus(raw, n),
      deliveryDays: readDeliveryDays(raw.deliveryDays, n),
      variations: readVariations(raw.variations, n),
    };
    return { ok: true, externalId, record, notices: n.items };
  } catch (err) {
    if (err instanceof Unreadable) return { ok: false, externalId, code: err.code, message: err.message };
    throw err;
  }
}

/** The universal product as a store PRODUCT body for a create. */
export function toStore(record: Product): StoreProductBody {
  const body: StoreProductBody = {
    sku: record.sku,
    title: record.title,
    url: record.url,
    brand: record.brand,
    mpn: record.mpn,
    model: record.model,
    description: record.description,
    tags: tagsToStore(record.tags),
    status: record.status,
    variations: record.variations.map(variationToStore),
  };
  if (record.categories.length > 0) body.categories = record.categories;
  if (record.deliveryDays !== null) body.deliveryDays = record.deliveryDays;
  return body;
}

/**
 * The body of an update: only what changed. A changed variation is sent as its
 * identity (`_id` when known, `sku`) plus its changed fields; a new one whole.
 *
 * @example
 * patchToStore({ fields: { title: 'New' }, variations: [{ id: 'v1', index: 0, sku: 'A', changes: { availabilities: [{ tag: 'default', quantity: 3 }] } }] })
 * // { title: 'New', variations: [{ _id: 'v1', sku: 'A', availabilities: [{ tag: 'default', quantity: 3 }] }] }
 */
export function patchToStore(patch: ProductPatch): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch.fields)) {
    if (value === undefined) continue;
    body[key] = key === 'tags' ? tagsToStore(value as string[]) : value;
  }
  if (patch.variations.length > 0) {
    body.variations = patch.variations.map((v) => {
      if (v.isNew) {
        const whole = variationToStore(VariationSchema.parse({ sku: v.sku, ...v.changes, id: v.id }));
        return whole;
      }
      return { ...(v.id !== undefined ? { _id: v.id } : {}), sku: v.sku, ...variationChangesToStore(v.changes) };
    });
  }
  return body;
}

function variationToStore(v: Variation): StoreVariationBody {
  const body: StoreVariationBody = {
    sku: v.sku,
    barcode: v.barcode,
    size: v.size,
    color: v.color,
    availabilities: v.availabilities.map(availabilityToStore),
    prices: v.prices.map(priceToStore),
    images: v.images.map((url) => ({ url })),
    videos: v.videos.map((url) => ({ url })),
  };
  return v.id !== undefined ? { _id: v.id, ...body } : body;
}

function variationChangesToStore(changes: Partial<Variation>): Partial<StoreVariationBody> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes) as Array<[keyof Variation, unknown]>) {
    if (value === undefined || key === 'id') continue;
    switch (key) {
      case 'availabilities':
        out[key] = (value as Availability[]).map(availabilityToStore);
        break;
      case 'prices':
        out[key] = (value as Price[]).map(priceToStore);
        break;
      case 'images':
      case 'videos':
        out[key] = (value as string[]).map((url) => ({ url }));
        break;
      default:
        out[key] = value;
    }
  }
  return out as Partial<StoreVariationBody>;
}

const availabilityToStore = (a: Availability) => ({ tag: a.tag, quantity: a.quantity });
const priceToStore = (p: Price) => ({ tag: p.tag, currency: p.currency, number: p.amount });
const tagsToStore = (tags: string[]) => tags.map((value) => ({ value }));

// ---- reading -------------------------------------------------------------

function readVariations(value: unknown, n: Notices): Variation[] {
  if (value === undefined || value === null) {
    n.add('no_variations', 'variations: the product has no variations, so no price or stock', 'variations');
    return [];
  }
  if (!Array.isArray(value) && !isObject(value)) {
    throw new Unreadable('invalid_variations', `variations must be a list of variations, got ${describeValue(value)}.`);
  }
  const list = Array.isArray(value) ? value : [value];
  return list.map((raw, index) => readVariation(raw, index, n));
}

function readVariation(raw: unknown, index: number, n: Notices): Variation {
  const path = `variations[${index}]`;
  if (!isObject(raw)) {
    throw new Unreadable('invalid_variation', `${path} must be an object, got ${describeValue(raw)}.`);
  }
  // The protocol: a variation without its own _id is identified by its position.
  const id = readId(raw._id) ?? String(index);
  return {
    id,
    sku: readString(raw.sku, `${path}.sku`, n),
    barcode: readString(raw.barcode, `${path}.barcode`, n),
    size: readString(raw.size, `${path}.size`, n),
    color: readString(raw.color, `${path}.color`, n),
    images: readUrls(raw.images, `${path}.images`, n),
    videos: readUrls(raw.videos, `${path}.videos`, n),
    availabilities: readTagged(raw.availabilities, `${path}.availabilities`, n, (entry, field) => {
      const quantity = strictNumber(entry.quantity, `${field}.quantity`, n, readQuantity);
      return quantity === null ? null : { tag: readTag(entry.tag, field, n), quantity };
    }),
    prices: readTagged(raw.prices, `${path}.prices`, n, (entry, field) => {
      const amount = strictNumber(entry.number ?? entry.amount, `${field}.number`, n, readNumber);
      if (amount === null) return null;
      return { tag: readTag(entry.tag, field, n), currency: readCurrency(entry.currency, `${field}.currency`, n), amount };
    }),
  };
}

/** A tagged list (availabilities, prices); entries without a value are dropped with a notice. */
function readTagged<T>(
  value: unknown,
  field: string,
  n: Notices,
  read: (entry: Record<string, unknown>, field: string) => T | null,
): T[] {
  const out: T[] = [];
  readList(value, field, n).forEach((entry, i) => {
    const entryField = `${field}[${i}]`;
    if (!isObject(entry)) {
      n.add('entry_invalid', `${entryField}: expected an object, got ${describeValue(entry)}; ignored`, entryField);
      return;
    }
    const item = read(entry, entryField);
    if (item !== null) out.push(item);
  });
  return out;
}

/**
 * A price or quantity: missing is tolerated (dropped with a notice), but a value
 * that is there and is not a number makes the record unreadable — guessing a
 * stock level or a price would be worse than not syncing the product.
 */
function strictNumber(
  value: unknown,
  field: string,
  n: Notices,
  read: (value: unknown, field: string, notices: Notices) => number | null,
): number | null {
  if (value === undefined || value === null || value === '') {
    n.add('value_missing', `${field}: no value given; entry ignored`, field);
    return null;
  }
  const result = read(value, field, n);
  if (result === null) {
    throw new Unreadable('invalid_number', `${field} must be a number, got ${describeValue(value)}.`);
  }
  return result;
}

function readTag(value: unknown, field: string, n: Notices): string {
  const tag = readString(value, `${field}.tag`, n).trim();
  return tag === '' ? 'default' : tag;
}

function readUrls(value: unknown, field: string, n: Notices): string[] {
  const out: string[] = [];
  for (const entry of readList(value, field, n)) {
    const url = typeof entry === 'string' ? entry : isObject(entry) && typeof entry.url === 'string' ? entry.url : '';
    if (url.trim() !== '') out.push(url.trim());
  }
  return out;
}

/** Tags or categories: `[{ value }]`, `[{ name }]` or plain strings; empty ones dropped. */
function readLabels(value: unknown, field: string, n: Notices): string[] {
  const out: string[] = [];
  for (const entry of readList(value, field, n)) {
    let label: unknown = entry;
    if (isObject(entry)) label = entry.value ?? entry.name ?? entry.title;
    const text = typeof label === 'string' || typeof label === 'number' ? String(label).trim() : '';
    if (text !== '') out.push(text);
  }
  return out;
}

const PUBLISHED = new Set(['published', 'publish', 'active', 'enabled', 'visible', 'public', 'live', 'online', 'true', '1', 'yes']);
const UNPUBLISHED = new Set(['unpublished', 'draft', 'inactive', 'disabled', 'hidden', 'private', 'archived', 'offline', 'false', '0', 'no']);

function readStatus(raw: Record<string, unknown>, n: Notices): Product['status'] {
  const field = raw.status !== undefined && raw.status !== null && raw.status !== '' ? 'status' : 'published';
  const value = raw[field];
  if (value === undefined || value === null || value === '') return 'published';
  const text = String(value).trim().toLowerCase();
  if (PUBLISHED.has(text)) return 'published';
  if (UNPUBLISHED.has(text)) return 'unpublished';
  n.add('status_unknown', `${field}: ${JSON.stringify(value)} is not a known status; read as published`, field);
  return 'published';
}

function readDeliveryDays(value: unknown, n: Notices): number | null {
  const days = readNumber(value, 'deliveryDays', n);
  if (days === null) return null;
  if (!Number.isInteger(days) || days < 0) {
    n.add('number_invalid', `deliveryDays: ${days} is not a whole number of days; ignored`, 'deliveryDays');
    return null;
  }
  return days;
}

/** The `_id` of a raw store product, or null when it has none (mapping it reports why). */
export function storeId(raw: unknown): string | null {
  return isObject(raw) ? readId(raw._id) : null;
}

/** A raw store product's fingerprint (`UnmappedEvent.fingerprint`), apart from those of mapped records. */
export function rawFingerprint(raw: unknown): string {
  return textFingerprint(JSON.stringify(raw));
}

/**
 * The same from the product's text as the store sent it: equal to `rawFingerprint` of the
 * parsed product when the store writes compact JSON (as JSON.stringify does); otherwise it
 * differs once, and the next read that analyses the product takes the new value.
 */
export function textFingerprint(text: string): string {
  return `raw:${hash('sha1', text, 'base64url')}`;
}

