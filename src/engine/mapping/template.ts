import type { Product } from '../../model/product.js';

/** The placeholders a title or description template may use. */
export const PLACEHOLDERS = [
  'sku', 'title', 'description', 'brand', 'mpn', 'model', 'url', 'category', 'categories', 'tags', 'size', 'color', 'barcode', 'deliveryDays',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const RE = /\{([^{}]*)\}/g;

/** The placeholder names a template uses, in order. */
export function templatePlaceholders(template: string): string[] {
  return [...template.matchAll(RE)].map((m) => m[1].trim());
}

const distinct = (values: string[]) => [...new Set(values.filter((v) => v !== ''))];

/** A placeholder's text for a product; variation options are their distinct values joined by " / ". */
function valueOf(p: Product, name: Placeholder): string {
  switch (name) {
    case 'category': return p.categories[0] ?? '';
    case 'categories': return p.categories.join(', ');
    case 'tags': return p.tags.join(', ');
    case 'size': return distinct(p.variations.map((v) => v.size)).join(' / ');
    case 'color': return distinct(p.variations.map((v) => v.color)).join(' / ');
    case 'barcode': return distinct(p.variations.map((v) => v.barcode))[0] ?? '';
    case 'deliveryDays': return p.deliveryDays === null ? '' : String(p.deliveryDays);
    default: return p[name];
  }
}

/**
 * Fills a template from a product; an empty placeholder leaves no double spaces behind.
 *
 * @example
 * renderTemplate('{brand} {title} {size}', product) // 'Northwind Classic T-Shirt S / M'
 */
export function renderTemplate(template: string, p: Product): string {
  return template.replace(RE, (_m, name: string) => valueOf(p, name.trim() as Placeholder))
    .replace(/[ \t]{2,}/g, ' ').replace(/\s+([,/|-])\s*$/g, '').trim();
}
