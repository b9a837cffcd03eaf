import { Variation as VariationSchema, type Availability, type Product, type Variation } from '../../model/product.js';
import { ConnectorError, type ProductPatch, type WriteAck } from '../types.js';
import { ShopifyClient } from './shopify.client.js';
import { COLOR, fromShopify, handleOf, SIZE, type ShopContext, type ShopifyProduct, type ShopifyVariant } from './product.mapper.js';
import { allVariants } from './products.stream.js';
import {
  PRODUCT_BY_HANDLE, PRODUCT_BY_ID, PRODUCT_CREATE, PRODUCT_UPDATE, SET_QUANTITIES, VARIANTS_CREATE, VARIANTS_UPDATE,
} from './queries.js';

/** The option the hub adds when size and colour do not tell a product's variations apart. */
const VARIANT_OPTION = 'Variant';

/**
 * Writes products to Shopify: productCreate (with Size / Color options when there
 * are several variations), productVariantsBulkCreate replacing the standalone
 * variant, inventorySetQuantities for absolute stock per location. Updates send only
 * what changed: productUpdate, productVariantsBulkUpdate (by variant id, never by
 * SKU) and inventorySetQuantities. Every write answers with the product as stored.
 *
 * @example
 * await new ProductWriter(client, shop).update('gid://shopify/Product/1', patch, record);
 */
export class ProductWriter {
  constructor(
    private readonly client: ShopifyClient,
    private readonly shop: ShopContext,
  ) {}

  async create(record: Product): Promise<WriteAck<Product>> {
    for (const v of record.variations) this.checkCurrency(v);
    const handle = handleOf(record.sku || record.title);
    // A create whose answer was lost left a product under this handle: finish that one instead of making a second.
    const found = (await this.client.query<{ productByHandle: ShopifyProduct | null }>(PRODUCT_BY_HANDLE, { handle }, true, 160)).productByHandle;
    if (found) {
      const variants = await allVariants(this.client, found);
      const skus = new Set(record.variations.map((v) => v.sku).filter(Boolean));
      if (variants.some((v) => v.sku && skus.has(v.sku)) || variants.every((v) => !v.sku)) {
        await this.addMissing(found, variants, record);
        return this.ack(found.id);
      }
    }
    const options = optionsFor(record.variations);
    const created = await this.client.query<{ productCreate: { product: { id: string; variants: { nodes: Array<{ id: string; inventoryItem: { id: string } }> } } | null; userErrors: [] } }>(
      PRODUCT_CREATE, {
        product: {
          title: record.title || record.sku, handle, descriptionHtml: record.description, status: record.status === 'published' ? 'ACTIVE' : 'DRAFT',
          vendor: record.brand, productType: record.categories[0] ?? '', tags: record.tags,
          ...(options.length > 0 ? { productOptions: options.map((o) => ({ name: o.name, values: [...new Set(record.variations.map(o.value))].map((name) => ({ name })) })) } : {}),
        },
      }, false);
    ShopifyClient.check(created.productCreate, `to create ${record.sku || record.title}`);
    const product = created.productCreate.product!;
    try {
      if (options.length === 0) {
        // One variation: Shopify made the standalone variant; it becomes this one.
        const standalone = product.variants.nodes[0];
        const v = record.variations[0];
        if (v) {
          await this.updateVariants(product.id, [{ id: standalone.id, ...this.variantFields(v) }]);
          await this.setStock([{ inventoryItemId: standalone.inventoryItem.id, list: v.availabilities }]);
        }
      } else {
        await this.createVariants(product.id, record.variations, options);
      }
    } catch (err) {
      const e = err instanceof ConnectorError ? err : new ConnectorError('bug', String(err));
      throw new ConnectorError(e.kind === 'auth' ? 'auth' : 'invalid_data',
        `The product was created in Shopify (${product.id}) but its variants could not all be set: ${e.message} The next send finishes it.`, e.detail);
    }
    return this.ack(product.id);
  }

  async update(externalId: string, patch: ProductPatch, record: Product): Promise<WriteAck<Product>> {
    const current = (await this.client.query<{ product: ShopifyProduct | null }>(PRODUCT_BY_ID, { id: externalId }, true, 160)).product;
    if (!current) throw new ConnectorError('not_found', `The product ${record.sku || record.title} (${externalId}) no longer exists in Shopify.`, externalId);
    const variants = await allVariants(this.client, current);
    const f = patch.fields;
    const input: Record<string, unknown> = {};
    if (f.title !== undefined) input.title = f.title;
    if (f.description !== undefined) input.descriptionHtml = f.description;
    if (f.status !== undefined) input.status = f.status === 'published' ? 'ACTIVE' : 'DRAFT';
    if (f.brand !== undefined) input.vendor = f.brand;
    if (f.categories !== undefined) input.productType = f.categories[0] ?? '';
    if (f.tags !== undefined) input.tags = f.tags;
    if (Object.keys(input).length > 0) {
      const r = await this.client.query<{ productUpdate: { userErrors: [] } }>(PRODUCT_UPDATE, { product: { id: externalId, ...input } });
      ShopifyClient.check(r.productUpdate, `to update ${record.sku || record.title}`);
    }
    const byId = new Map(variants.map((v) => [v.id, v]));
    const updates: Record<string, unknown>[] = [];
    const stock: Array<{ inventoryItemId: string; list: Availability[] }> = [];
    const news: Variation[] = [];
    for (const change of patch.variations) {
      const variant = change.id !== undefined ? byId.get(change.id) : undefined;
      if (change.isNew || !variant) {
        news.push(VariationSchema.parse({ ...(change.isNew ? change.changes : record.variations.find((v) => v.sku === change.sku) ?? change.changes), id: undefined, sku: change.sku }));
        continue;
      }
      const fields = this.variantChanges(change.changes, change.sku);
      if (Object.keys(fields).length > 0) updates.push({ id: variant.id, ...fields });
      if (change.changes.availabilities !== undefined) stock.push({ inventoryItemId: variant.inventoryItem.id, list: change.changes.availabilities });
    }
    if (updates.length > 0) await this.updateVariants(externalId, updates);
    if (stock.length > 0) await this.setStock(stock);
    if (news.length > 0) await this.addMissing(current, variants, { ...record, variations: news });
    return this.ack(externalId);
  }

  private async ack(id: string): Promise<WriteAck<Product>> {
    const p = (await this.client.query<{ product: ShopifyProduct | null }>(PRODUCT_BY_ID, { id }, true, 160)).product;
    if (!p) return { externalId: id, record: null, notices: [{ code: 'unreadable_answer', message: `Shopify did not return ${id} after writing it` }] };
    const mapped = fromShopify(p, await allVariants(this.client, p), this.shop);
    return mapped.ok
      ? { externalId: id, record: mapped.record, notices: mapped.notices }
      : { externalId: id, record: null, notices: [{ code: mapped.code, message: mapped.message }] };
  }

  /** Adds the record's variations a product does not have (matched by SKU within this one product). */
  private async addMissing(product: ShopifyProduct, variants: ShopifyVariant[], record: Product): Promise<void> {
    const have = new Set(variants.map((v) => v.sku).filter(Boolean));
    const missing = record.variations.filter((v) => !v.sku || !have.has(v.sku));
    if (missing.length === 0) return;
    const names = product.options.map((o) => o.name);
    const unfillable = names.filter((n) => !SIZE.test(n) && !COLOR.test(n) && n !== VARIANT_OPTION && n !== 'Title');
    if (unfillable.length > 0) {
      throw new ConnectorError('invalid_data',
        `${product.handle} has options in Shopify the hub cannot fill for a new variant (${unfillable.join(', ')}); add the variant in Shopify.`, product.id);
    }
    if (names.length === 0 || names.includes('Title')) {
      throw new ConnectorError('invalid_data',
        `${product.handle} has a single variant without options in Shopify, so the hub cannot add more variants to it. Give it an option (e.g. Size) in Shopify first.`, product.id);
    }
    await this.createVariants(product.id, missing, names.map((name) => ({ name, value: valueOf(name) })), false);
  }

  private async createVariants(productId: string, list: Variation[], options: Array<{ name: string; value: (v: Variation) => string }>, replaceStandalone = true): Promise<void> {
    const variants = list.map((v) => ({
      ...this.variantFields(v),
      optionValues: options.map((o) => ({ optionName: o.name, name: o.value(v) })),
      inventoryQuantities: this.levels(v.availabilities).map((l) => ({ locationId: l.locationId, availableQuantity: l.quantity })),
    }));
    const document = replaceStandalone ? VARIANTS_CREATE : VARIANTS_CREATE.replace(', strategy: REMOVE_STANDALONE_VARIANT', '');
    const r = await this.client.query<{ productVariantsBulkCreate: { userErrors: [] } }>(document, { productId, variants }, false);
    ShopifyClient.check(r.productVariantsBulkCreate, 'to add the variants');
  }

  private async updateVariants(productId: string, variants: Record<string, unknown>[]): Promise<void> {
    const r = await this.client.query<{ productVariantsBulkUpdate: { userErrors: [] } }>(VARIANTS_UPDATE, { productId, variants });
    ShopifyClient.check(r.productVariantsBulkUpdate, 'to update the variants');
  }

  /** Absolute quantities (`available`), so a retried write is harmless. */
  private async setStock(items: Array<{ inventoryItemId: string; list: Availability[] }>): Promise<void> {
    const quantities = items.flatMap((i) => this.levels(i.list).map((l) => ({ inventoryItemId: i.inventoryItemId, locationId: l.locationId, quantity: l.quantity })));
    if (quantities.length === 0) return;
    const r = await this.client.query<{ inventorySetQuantities: { userErrors: [] } }>(SET_QUANTITIES, {
      input: { name: 'available', reason: 'correction', ignoreCompareQuantity: true, quantities },
    });
    ShopifyClient.check(r.inventorySetQuantities, 'to set the stock');
  }

  private levels(list: Availability[]): Array<{ locationId: string; quantity: number }> {
    const byTag = new Map([...this.shop.locations].map(([id, tag]) => [tag, id]));
    return list.map((a) => {
      const locationId = byTag.get(a.tag);
      if (!locationId) {
        throw new ConnectorError('invalid_data', `Shopify has no location for the stock tagged "${a.tag}" (its locations: ${[...byTag.keys()].join(', ')}).`, `stock tag ${a.tag}`);
      }
      return { locationId, quantity: Math.max(0, a.quantity) };
    });
  }

  private variantFields(v: Variation): Record<string, unknown> {
    return { ...this.variantChanges({ ...v, availabilities: undefined }, v.sku), inventoryItem: { sku: v.sku, tracked: true } };
  }

  private variantChanges(c: Partial<Variation>, sku: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (c.sku !== undefined) out.inventoryItem = { sku: c.sku };
    if (c.barcode !== undefined) out.barcode = c.barcode;
    if (c.prices !== undefined) {
      this.checkCurrency({ sku, prices: c.prices });
      const price = c.prices.find((p) => p.tag === 'default') ?? c.prices.find((p) => p.tag !== 'compare_at');
      const compare = c.prices.find((p) => p.tag === 'compare_at');
      if (price) out.price = price.amount.toFixed(2);
      out.compareAtPrice = compare ? compare.amount.toFixed(2) : null;
    }
    return out;
  }

  private checkCurrency(v: Pick<Variation, 'sku' | 'prices'>): void {
    const other = v.prices.find((p) => p.currency !== this.shop.currency);
    if (other) {
      throw new ConnectorError('invalid_data',
        `${v.sku || 'A variation'}: the shop sells in ${this.shop.currency}, so a price in ${other.currency} cannot be written. Give the product a ${this.shop.currency} price or set a currency conversion.`,
        `price ${other.tag} ${other.currency}`);
    }
  }
}

/** Size and Color when every variation has them and they tell them apart, else a Variant option of SKUs; none for one variation. */
function optionsFor(variations: Variation[]): Array<{ name: string; value: (v: Variation) => string }> {
  if (variations.length <= 1) return [];
  const dims: Array<{ name: string; value: (v: Variation) => string }> = [];
  if (variations.every((v) => v.size)) dims.push({ name: 'Size', value: (v) => v.size });
  if (variations.every((v) => v.color)) dims.push({ name: 'Color', value: (v) => v.color });
  const distinct = new Set(variations.map((v) => dims.map((d) => d.value(v)).join('|'))).size === variations.length;
  return dims.length > 0 && distinct ? dims : [{ name: VARIANT_OPTION, value: (v) => v.sku || v.barcode || 'Default' }];
}

function valueOf(option: string): (v: Variation) => string {
  if (SIZE.test(option)) return (v) => v.size || 'One size';
  if (COLOR.test(option)) return (v) => v.color || 'Default';
  return (v) => v.sku || 'Default';
}
