import type { Product } from '../../model/product.js';
import { stockOf } from '../../model/product.js';

/** A selector that does not parse; the message says which part and what is understood. */
export class SelectorError extends Error {}

export type Selector = (p: Product) => boolean;

/**
 * The sets of the search bar that depend on the record alone, evaluated in memory so
 * a projection stays pure: sets naming connections, issues or pending changes need
 * the database and are refused. Sets separated by commas are intersected; an empty
 * selector selects every record.
 *
 * @example
 * compileSelector('of brand Northwind, of category Apparel, with stock')(product) // true or false
 */
export function compileSelector(text: string): Selector {
  const parts = splitSets(text);
  if (parts.length === 0) return () => true;
  const preds = parts.map(compilePart);
  return preds.length === 1 ? preds[0] : (p) => preds.every((f) => f(p));
}

const FIELDS: Record<string, (p: Product) => boolean> = {
  sku: (p) => p.sku !== '', title: (p) => p.title !== '', description: (p) => p.description !== '', brand: (p) => p.brand !== '',
  mpn: (p) => p.mpn !== '', model: (p) => p.model !== '', url: (p) => p.url !== '', tags: (p) => p.tags.length > 0,
  categories: (p) => p.categories.length > 0, deliverydays: (p) => p.deliveryDays !== null, variations: (p) => p.variations.length > 0,
  barcode: (p) => p.variations.some((v) => v.barcode !== ''), size: (p) => p.variations.some((v) => v.size !== ''),
  color: (p) => p.variations.some((v) => v.color !== ''), images: (p) => p.variations.some((v) => v.images.length > 0),
  videos: (p) => p.variations.some((v) => v.videos.length > 0), price: (p) => p.variations.some((v) => v.prices.length > 0),
  stock: (p) => total(p) > 0,
};
const SYNONYMS: Record<string, string> = { tag: 'tags', category: 'categories', image: 'images', video: 'videos', colour: 'color', prices: 'price', ean: 'barcode', gtin: 'barcode', delivery: 'deliverydays' };

const UNDERSTOOD = 'of brand B, of category C, of size S, of color C, tagged T, sku S (a trailing * matches a prefix), with FIELD, without FIELD, with stock, out of stock';

/** Splits on commas outside double quotes (as the search bar does). */
function splitSets(q: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of q) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim().replace(/\s+/g, ' ')).filter(Boolean);
}

const total = (p: Product) => p.variations.reduce((n, v) => n + stockOf(v), 0);
const unquote = (s: string) => s.replace(/^"(.*)"$/s, '$1').trim();
const low = (s: string) => s.toLowerCase();

/** A category matches itself and everything under it: "Apparel" matches "Apparel > Tops". */
export function inCategory(categories: string[], wanted: string): boolean {
  const w = low(wanted);
  return categories.some((c) => {
    const l = low(c);
    return l === w || l.startsWith(`${w} >`) || l.startsWith(`${w}>`) || l.startsWith(`${w}/`);
  });
}

function compilePart(part: string): Selector {
  const m = (re: RegExp) => part.match(re);
  let r: RegExpMatchArray | null;
  if ((r = m(/^(?:products? )?(?:of )?brand (.+)$/i))) {
    const v = low(unquote(r[1]));
    return (p) => low(p.brand) === v;
  }
  if ((r = m(/^(?:products? )?(?:of |in )?category (.+)$/i))) {
    const v = unquote(r[1]);
    return (p) => inCategory(p.categories, v);
  }
  if ((r = m(/^(?:products? )?(?:of )?size (.+)$/i))) {
    const v = low(unquote(r[1]));
    return (p) => p.variations.some((x) => low(x.size) === v);
  }
  if ((r = m(/^(?:products? )?(?:of )?colou?r (.+)$/i))) {
    const v = low(unquote(r[1]));
    return (p) => p.variations.some((x) => low(x.color) === v);
  }
  if ((r = m(/^(?:products? )?(?:tagged|with tag|tag) (.+)$/i))) {
    const v = low(unquote(r[1]));
    return (p) => p.tags.some((t) => low(t) === v);
  }
  if ((r = m(/^(?:products? )?sku (.+)$/i))) {
    const v = unquote(r[1]);
    if (v.endsWith('*')) {
      const prefix = v.slice(0, -1);
      return (p) => p.sku.startsWith(prefix) || p.variations.some((x) => x.sku.startsWith(prefix));
    }
    return (p) => p.sku === v || p.variations.some((x) => x.sku === v);
  }
  if (/^(?:products? )?(?:with|in) stock$/i.test(part)) return (p) => total(p) > 0;
  if (/^(?:products? )?(?:out[ -]of[ -]stock|without stock|with no stock|no stock)$/i.test(part)) return (p) => total(p) <= 0;
  if ((r = m(/^(?:products? )?(with|without) (\S+)$/i))) {
    const name = low(r[2]);
    const f = FIELDS[SYNONYMS[name] ?? name];
    if (!f) throw new SelectorError(`"${part}": ${r[2]} is not a field; fields: ${Object.keys(FIELDS).join(', ')}`);
    return r[1].toLowerCase() === 'with' ? f : (p) => !f(p);
  }
  if (/\bon\b|\bto\b|issues|errors|warnings|notices|pending/i.test(part)) {
    throw new SelectorError(`"${part}" depends on connections, issues or pending changes; a mapping group selects by the record alone: ${UNDERSTOOD}`);
  }
  throw new SelectorError(`"${part}" is not understood; a mapping group selects with: ${UNDERSTOOD}`);
}
