import { Variation as VariationSchema, type Product, type Variation } from '../../model/product.js';
import { ConnectorError, type ProductPatch, type WriteAck } from '../types.js';
import type { WooClient } from './woo.client.js';
import {
  COLOR, COLOR_ATTRIBUTE, fromWoo, money, SIZE, SIZE_ATTRIBUTE, VARIANT_ATTRIBUTE,
  type WooAttribute, type WooProduct, type WooTerm,
} from './product.mapper.js';
import { readVariations } from './products.stream.js';

interface BatchResult { create?: Array<{ id: number; error?: { code: string; message: string } }>; update?: Array<{ id: number; error?: { code: string; message: string } }> }

/**
 * Writes products to WooCommerce: a product with one variation carrying its own SKU
 * is a simple product; otherwise a variable product with Size / Color attributes (or
 * a Variant attribute keyed by SKU when those do not tell the variations apart) and
 * its variations created in one batch. Updates send only the changed fields; every
 * write answers with the product as WooCommerce now holds it.
 *
 * @example
 * await new ProductWriter(client, 'USD').update('794', { fields: { title: 'New' }, variations: [] }, record);
 */
export class ProductWriter {
  private terms = new Map<string, Map<string, number>>();

  constructor(
    private readonly client: WooClient,
    private readonly currency: string,
  ) {}

  async create(record: Product): Promise<WriteAck<Product>> {
    for (const v of record.variations) this.checkCurrency(v);
    // WooCommerce keeps SKUs unique: a product with this SKU is this product, created by an attempt whose answer was lost.
    if (record.sku) {
      const found = (await this.client.list<WooProduct>('products', { sku: record.sku })).items.find((p) => p.sku === record.sku);
      if (found) return this.ack(found.id);
    }
    const simple = record.variations.length <= 1 && (record.variations[0]?.sku ?? record.sku) === record.sku;
    const body: Record<string, unknown> = {
      name: record.title || record.sku,
      type: simple ? 'simple' : 'variable',
      status: record.status === 'published' ? 'publish' : 'draft',
      sku: record.sku,
      description: record.description,
      categories: await this.termIds('categories', record.categories),
      tags: await this.termIds('tags', record.tags),
    };
    if (simple) {
      const v = record.variations[0];
      if (v) Object.assign(body, this.variationFields(v), { images: v.images.map((src) => ({ src })) });
    } else {
      body.attributes = attributesFor(record.variations);
      body.images = [...new Set(record.variations.flatMap((v) => v.images))].slice(0, 1).map((src) => ({ src }));
    }
    const created = await this.client.post<WooProduct>('products', body);
    if (!simple) {
      const attrs = body.attributes as WooAttribute[];
      try {
        await this.batch(created.id, { create: record.variations.map((v, i) => ({ ...this.variationFields(v), sku: v.sku, attributes: optionsOf(attrs, v, i), ...(v.images[0] ? { image: { src: v.images[0] } } : {}) })) });
      } catch (err) {
        const e = err instanceof ConnectorError ? err : new ConnectorError('bug', String(err));
        throw new ConnectorError(e.kind === 'auth' ? 'auth' : 'invalid_data',
          `The product was created in WooCommerce (id ${created.id}) but its variations could not all be added: ${e.message}`, e.detail);
      }
    }
    return this.ack(created.id);
  }

  async update(externalId: string, patch: ProductPatch, record: Product): Promise<WriteAck<Product>> {
    const current = await this.client.get<WooProduct>(`products/${externalId}`);
    const f = patch.fields;
    const body: Record<string, unknown> = {};
    if (f.title !== undefined) body.name = f.title;
    if (f.description !== undefined) body.description = f.description;
    if (f.status !== undefined) body.status = f.status === 'published' ? 'publish' : 'draft';
    if (f.sku !== undefined) body.sku = f.sku;
    if (f.categories !== undefined) body.categories = await this.termIds('categories', f.categories);
    if (f.tags !== undefined) body.tags = await this.termIds('tags', f.tags);
    const updates: Record<string, unknown>[] = [];
    const creates: Variation[] = [];
    for (const change of patch.variations) {
      const known = change.id !== undefined && (change.id === externalId || current.variations.includes(Number(change.id)));
      if (change.isNew || !known) {
        creates.push(VariationSchema.parse({ ...(change.isNew ? change.changes : record.variations.find((v) => v.sku === change.sku) ?? change.changes), id: undefined, sku: change.sku }));
        continue;
      }
      const fields = this.variationChanges(change.changes, change.sku);
      if (change.id === externalId) Object.assign(body, fields); // a simple product's one variation is the product
      else if (Object.keys(fields).length > 0) updates.push({ id: Number(change.id), ...fields });
    }
    if (creates.length > 0 && current.type !== 'variable') {
      throw new ConnectorError('invalid_data',
        `${record.sku || record.title} is a simple product in WooCommerce; the hub cannot add variations to it. Make it a variable product in WooCommerce first.`,
        `update ${externalId}: ${creates.length} new variations on a ${current.type} product`);
    }
    if (creates.length > 0) {
      const attrs = mergeAttributes(current.attributes ?? [], creates);
      body.attributes = attrs;
      await this.client.put(`products/${externalId}`, body);
      await this.batch(Number(externalId), {
        ...(updates.length > 0 ? { update: updates } : {}),
        create: creates.map((v, i) => ({ ...this.variationFields(v), sku: v.sku, attributes: optionsOf(attrs, v, current.variations.length + i) })),
      });
    } else {
      if (Object.keys(body).length > 0) await this.client.put(`products/${externalId}`, body);
      if (updates.length > 0) await this.batch(Number(externalId), { update: updates });
    }
    return this.ack(Number(externalId));
  }

  private async ack(id: number): Promise<WriteAck<Product>> {
    const p = await this.client.get<WooProduct>(`products/${id}`);
    const mapped = fromWoo(p, p.type === 'variable' ? await readVariations(this.client, id) : null, this.currency);
    return mapped.ok
      ? { externalId: String(id), record: mapped.record, notices: mapped.notices }
      : { externalId: String(id), record: null, notices: [{ code: mapped.code, message: mapped.message }] };
  }

  private async batch(productId: number, body: Record<string, unknown>): Promise<void> {
    const result = await this.client.post<BatchResult>(`products/${productId}/variations/batch`, body, true);
    const failed = [...(result.create ?? []), ...(result.update ?? [])].filter((r) => r.error);
    if (failed.length > 0) {
      throw new ConnectorError('invalid_data', `WooCommerce refused ${failed.length} variation(s): ${failed.map((r) => r.error!.message).join('; ')}`,
        failed.map((r) => r.error!.code).join(', '));
    }
  }

  private variationFields(v: Variation): Record<string, unknown> {
    return { sku: v.sku, ...this.variationChanges(v, v.sku), ...(v.availabilities.length === 0 ? { manage_stock: false } : {}) };
  }

  /** Only the WooCommerce fields behind the changed universal fields. */
  private variationChanges(c: Partial<Variation>, sku: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (c.sku !== undefined) out.sku = c.sku;
    if (c.barcode !== undefined) out.global_unique_id = c.barcode;
    if (c.prices !== undefined) {
      this.checkCurrency({ sku, prices: c.prices });
      const regular = c.prices.find((p) => p.tag === 'default') ?? c.prices.find((p) => p.tag !== 'sale');
      const sale = c.prices.find((p) => p.tag === 'sale');
      out.regular_price = regular ? money(regular.amount) : '';
      out.sale_price = sale ? money(sale.amount) : '';
    }
    if (c.availabilities !== undefined && c.availabilities.length > 0) {
      out.manage_stock = true;
      out.stock_quantity = Math.max(0, c.availabilities.reduce((n, a) => n + a.quantity, 0));
    }
    return out;
  }

  private checkCurrency(v: Pick<Variation, 'sku' | 'prices'>): void {
    const other = v.prices.find((p) => p.currency !== this.currency);
    if (other) {
      throw new ConnectorError('invalid_data',
        `${v.sku || 'A variation'}: the store sells in ${this.currency}, so a price in ${other.currency} cannot be written. Give the product a ${this.currency} price or set a currency conversion.`,
        `price ${other.tag} ${other.currency}`);
    }
  }

  /** Category or tag ids by name, creating the missing ones. */
  private async termIds(kind: 'categories' | 'tags', names: string[]): Promise<Array<{ id: number }>> {
    if (names.length === 0) return [];
    let known = this.terms.get(kind);
    if (!known) {
      known = new Map();
      for (let page = 1; ; page++) {
        const list = await this.client.list<WooTerm>(`products/${kind}`, { page, per_page: 100 });
        for (const t of list.items) known.set(t.name, t.id);
        if (list.items.length === 0 || (list.totalPages !== null ? page >= list.totalPages : list.items.length < 100)) break;
      }
      this.terms.set(kind, known);
    }
    const ids: Array<{ id: number }> = [];
    for (const name of names) {
      let id = known.get(name);
      if (id === undefined) {
        id = (await this.client.post<WooTerm>(`products/${kind}`, { name })).id;
        known.set(name, id);
      }
      ids.push({ id });
    }
    return ids;
  }
}

/** Size and Color when every variation has them and they tell the variations apart, else a Variant attribute of SKUs. */
function attributesFor(variations: Variation[]): WooAttribute[] {
  const dims: Array<[string, (v: Variation) => string]> = [];
  if (variations.every((v) => v.size)) dims.push([SIZE_ATTRIBUTE, (v) => v.size]);
  if (variations.every((v) => v.color)) dims.push([COLOR_ATTRIBUTE, (v) => v.color]);
  const distinct = new Set(variations.map((v) => dims.map(([, f]) => f(v)).join('|'))).size === variations.length;
  const use = dims.length > 0 && distinct ? dims : [[VARIANT_ATTRIBUTE, (v: Variation) => v.sku] as [string, (v: Variation) => string]];
  return use.map(([name, f]) => ({ name, options: [...new Set(variations.map(f))], variation: true, visible: true }));
}

function mergeAttributes(current: WooAttribute[], news: Variation[]): WooAttribute[] {
  return current.map((a) => {
    if (!a.variation) return a;
    const values = news.map((v, i) => valueFor(a.name, v, i));
    return { ...a, options: [...new Set([...(a.options ?? []), ...values])] };
  });
}

function optionsOf(attrs: WooAttribute[], v: Variation, index: number): Array<{ name: string; option: string }> {
  return attrs.filter((a) => a.variation).map((a) => ({ name: a.name, option: valueFor(a.name, v, index) }));
}

function valueFor(attribute: string, v: Variation, index: number): string {
  if (SIZE.test(attribute)) return v.size || 'One size';
  if (COLOR.test(attribute)) return v.color || 'Default';
  return v.sku || `#${index + 1}`;
}
