import { Variation as VariationSchema, type Availability, type Price, type Product, type Variation } from '../../model/product.js';
import type { Notice } from '../../model/normalize.js';
import { ConnectorError, type ProductPatch, type WriteAck } from '../types.js';
import type { VendureClient } from './vendure.client.js';
import {
  BRAND_FACET, facetOfCategory, fromVendure, toMinor, vendureCode,
  type ShopContext, type VendureProduct, type VendureVariant,
} from './product.mapper.js';
import {
  ADD_OPTION_GROUP, CREATE_FACET, CREATE_FACET_VALUES, CREATE_OPTION, CREATE_OPTION_GROUP, CREATE_PRODUCT,
  CREATE_VARIANTS, FACETS, PRODUCT_BY_ID, PRODUCT_BY_SLUG, UPDATE_PRODUCT, UPDATE_VARIANTS,
} from './queries.js';

type OptionGroup = NonNullable<VendureProduct['optionGroups']>[number];
/** The option group the hub adds when size and colour cannot tell a product's variants apart. */
const VARIANT_GROUP = 'variant';
const SIZE_GROUP = /\b(size|sizes|talla|taille|größe|groesse|tamanho)\b/i;
const COLOR_GROUP = /\b(colou?rs?|farbe|couleur|cor)\b/i;

/**
 * Writes products to Vendure: a create is a product, its option groups and its
 * variants; an update writes only what the patch names. Variants are addressed by
 * their Vendure id, never looked up by SKU (Vendure allows the same SKU twice).
 * Every write answers with the product as Vendure now holds it.
 *
 * @example
 * const ack = await new ProductWriter(client, shop).create(record); // { externalId: '12', record: { sku: 'tee', ... } }
 */
export class ProductWriter {
  private facetCache = new Map<string, { id: string; values: Map<string, string> }>();

  constructor(
    private readonly client: VendureClient,
    private readonly shop: ShopContext,
  ) {}

  async read(id: string): Promise<VendureProduct | null> {
    const data = await this.client.query<{ product: VendureProduct | null }>(PRODUCT_BY_ID, { id }, { idempotent: true });
    return data.product;
  }

  async create(record: Product): Promise<WriteAck<Product>> {
    const slug = vendureCode(record.sku || record.title);
    if (slug === '') {
      throw new ConnectorError('invalid_data', 'The product has neither a SKU nor a title, so Vendure cannot give it a slug.', 'create: empty slug');
    }
    // Everything that can be refused is checked before anything is created in Vendure.
    const variants = record.variations.map((v) => ({ v, price: this.priceInput(v), stock: this.stockInput(v.availabilities, null) }));
    const facetValueIds = await this.facetValueIds(record.brand, record.categories);

    // A create whose answer was lost left a product under this slug: finish that one instead of making a second.
    const found = (await this.client.query<{ product: VendureProduct | null }>(PRODUCT_BY_SLUG, { slug }, { idempotent: true })).product;
    let product: VendureProduct;
    if (found && sameProduct(found, record)) {
      product = found;
    } else {
      const created = await this.client.query<{ createProduct: { id: string } }>(CREATE_PRODUCT, {
        input: {
          enabled: record.status !== 'unpublished',
          facetValueIds,
          translations: [{ languageCode: this.shop.languageCode, name: record.title || record.sku, slug, description: record.description }],
        },
      });
      product = { id: created.createProduct.id, name: record.title, slug, description: record.description, enabled: true, variants: [], optionGroups: [] };
    }
    try {
      const existing = [...(product.variants ?? [])];
      const toCreate: typeof variants = [];
      const toUpdate: Record<string, unknown>[] = [];
      for (const item of variants) {
        const i = existing.findIndex((e) => e.sku === item.v.sku);
        if (i < 0) {
          toCreate.push(item);
          continue;
        }
        const [match] = existing.splice(i, 1);
        toUpdate.push({ id: match.id, ...item.price, stockLevels: this.stockInput(item.v.availabilities, match) });
      }
      if (toUpdate.length > 0) await this.client.query(UPDATE_VARIANTS, { input: toUpdate }, { idempotent: true });
      if (toCreate.length > 0) await this.createVariants(product, record, toCreate);
    } catch (err) {
      const e = asConnectorError(err);
      throw new ConnectorError(e.kind === 'auth' || e.kind === 'config' ? e.kind : 'invalid_data',
        `The product was created in Vendure (id ${product.id}) but its variants could not all be added: ${e.message} The next send finishes it.`,
        e.detail, e.retryAfterMs);
    }
    return this.ack(product.id);
  }

  async update(externalId: string, patch: ProductPatch, record: Product): Promise<WriteAck<Product>> {
    const current = await this.read(externalId);
    if (!current) {
      throw new ConnectorError('not_found', `The product ${record.sku || record.title} (id ${externalId}) no longer exists in Vendure.`, `update ${externalId}`);
    }
    const notices: Notice[] = [];
    const f = patch.fields;
    const productInput: Record<string, unknown> = { id: externalId };
    if (f.title !== undefined || f.description !== undefined) {
      productInput.translations = [{
        languageCode: this.shop.languageCode,
        ...(f.title !== undefined ? { name: f.title } : {}),
        ...(f.description !== undefined ? { description: f.description } : {}),
      }];
    }
    if (f.status !== undefined) productInput.enabled = f.status !== 'unpublished';
    if (f.brand !== undefined || f.categories !== undefined) {
      productInput.facetValueIds = await this.facetValueIds(f.brand ?? record.brand, f.categories ?? record.categories);
    }

    const variantInputs: Record<string, unknown>[] = [];
    const creates: Array<{ v: Variation; price: Record<string, unknown>; stock: unknown }> = [];
    const byId = new Map((current.variants ?? []).map((v) => [String(v.id), v]));
    for (const change of patch.variations) {
      const variant = change.id !== undefined ? byId.get(change.id) : undefined;
      if (change.isNew || !variant) {
        // New here, or deleted in Vendure since: (re)created whole, never matched by SKU to another variant.
        const whole = change.isNew ? change.changes : record.variations.find((v) => v.sku === change.sku) ?? change.changes;
        const v = VariationSchema.parse({ ...whole, id: undefined, sku: change.sku });
        creates.push({ v, price: this.priceInput(v), stock: this.stockInput(v.availabilities, null) });
        continue;
      }
      const input: Record<string, unknown> = { id: variant.id };
      const c = change.changes;
      if (c.sku !== undefined) input.sku = c.sku;
      if (c.prices !== undefined) Object.assign(input, this.priceInput({ sku: change.sku, prices: c.prices }));
      if (c.availabilities !== undefined) input.stockLevels = this.stockInput(c.availabilities, variant);
      if (c.size !== undefined || c.color !== undefined) {
        notices.push({ code: 'option_not_written', message: `variations[${change.sku}]: Vendure keeps size and colour as product options; change them in Vendure`, field: 'size' });
      }
      if (Object.keys(input).length > 1) variantInputs.push(input);
    }
    if (Object.keys(productInput).length > 1) await this.client.query(UPDATE_PRODUCT, { input: productInput }, { idempotent: true });
    if (variantInputs.length > 0) await this.client.query(UPDATE_VARIANTS, { input: variantInputs }, { idempotent: true });
    if (creates.length > 0) await this.createVariants(current, record, creates);
    const ack = await this.ack(externalId);
    return { ...ack, notices: [...(ack.notices ?? []), ...notices] };
  }

  private async ack(id: string): Promise<WriteAck<Product>> {
    const product = await this.read(id);
    const mapped = product ? fromVendure(product, this.shop) : null;
    if (mapped?.ok) return { externalId: id, record: mapped.record, notices: mapped.notices };
    return {
      externalId: id, record: null,
      notices: [{ code: 'unreadable_answer', message: mapped && !mapped.ok ? mapped.message : `Vendure did not return product ${id} after writing it` }],
    };
  }

  /** Creates variants on a product, with the option groups Vendure needs to tell them apart. */
  private async createVariants(
    product: VendureProduct, record: Product,
    items: Array<{ v: Variation; price: Record<string, unknown>; stock: unknown }>,
  ): Promise<void> {
    const optionIds = await this.optionsFor(product, items.map((i) => i.v));
    const input = items.map(({ v, price, stock }, i) => ({
      productId: product.id,
      sku: v.sku,
      ...price,
      stockLevels: stock,
      optionIds: optionIds[i],
      translations: [{ languageCode: this.shop.languageCode, name: variantName(record, v) }],
    }));
    await this.client.query(CREATE_VARIANTS, { input });
  }

  /**
   * Option ids for new variants. A product with one variant needs none; otherwise
   * each variant needs one option per group of the product, and no two variants the
   * same combination: size and colour when they tell the variants apart, else a
   * "variant" group keyed by SKU.
   */
  private async optionsFor(product: VendureProduct, news: Variation[]): Promise<string[][]> {
    let groups: OptionGroup[] = [...(product.optionGroups ?? [])];
    const existing = product.variants ?? [];
    if (groups.length === 0) {
      if (existing.length + news.length <= 1) return news.map(() => []);
      if (existing.length > 0) {
        throw new ConnectorError('invalid_data',
          `The product ${product.slug} has a single variant without options in Vendure, so the hub cannot add more variants to it. Give it an option group (e.g. size) in Vendure first.`,
          `product ${product.id}: no option groups, ${existing.length} variants`);
      }
      const dims: string[] = [];
      if (news.every((v) => v.size)) dims.push('size');
      if (news.every((v) => v.color)) dims.push('colour');
      const combos = new Set(news.map((v) => dims.map((d) => valueFor(d, v, -1)).join('|')));
      const useDims = dims.length > 0 && combos.size === news.length ? dims : [VARIANT_GROUP];
      for (const dim of useDims) {
        const values = [...new Set(news.map((v, i) => valueFor(dim, v, i)))];
        const created = await this.client.query<{ createProductOptionGroup: OptionGroup }>(CREATE_OPTION_GROUP, {
          input: {
            code: `${product.slug}-${dim}`,
            translations: [{ languageCode: this.shop.languageCode, name: dim }],
            options: values.map((value) => ({ code: vendureCode(value), translations: [{ languageCode: this.shop.languageCode, name: value }] })),
          },
        });
        await this.client.query(ADD_OPTION_GROUP, { productId: product.id, optionGroupId: created.createProductOptionGroup.id });
        groups.push(created.createProductOptionGroup);
      }
    }
    const unfillable = groups.filter((g) => dimOf(g) === null);
    if (unfillable.length > 0) {
      throw new ConnectorError('invalid_data',
        `The product ${product.slug} has options in Vendure the hub cannot fill for a new variant (${unfillable.map((g) => g.name).join(', ')}); add the variant in Vendure.`,
        `product ${product.id}: groups ${groups.map((g) => g.name).join(', ')}`);
    }
    groups = await Promise.all(groups.map(async (g) => {
      const dim = dimOf(g)!;
      const known = new Set(g.options.map((o) => o.name));
      const missing = [...new Set(news.map((v, i) => valueFor(dim, v, i + existing.length)))].filter((x) => !known.has(x));
      const options = [...g.options];
      for (const value of missing) {
        const created = await this.client.query<{ createProductOption: { id: string; code: string; name: string } }>(CREATE_OPTION, {
          input: { productOptionGroupId: g.id, code: vendureCode(value), translations: [{ languageCode: this.shop.languageCode, name: value }] },
        });
        options.push(created.createProductOption);
      }
      return { ...g, options };
    }));
    return news.map((v, i) => groups.map((g) => {
      const value = valueFor(dimOf(g)!, v, i + existing.length);
      return g.options.find((o) => o.name === value)!.id;
    }));
  }

  /** Vendure's price input for a variation: the channel's currency as `price`, others it sells in as `prices`. */
  private priceInput(v: Pick<Variation, 'sku' | 'prices'>): Record<string, unknown> {
    const { defaultCurrency, currencies, priceDecimals } = this.shop;
    const out: Record<string, unknown> = {};
    const extra: Array<{ currencyCode: string; price: number }> = [];
    const ordered = [...v.prices].sort((a, b) => Number(b.tag === 'default') - Number(a.tag === 'default'));
    for (const p of ordered as Price[]) {
      if (p.currency === defaultCurrency && out.price === undefined) out.price = toMinor(p.amount, priceDecimals);
      else if (currencies.includes(p.currency) && p.currency !== defaultCurrency) {
        if (!extra.some((e) => e.currencyCode === p.currency)) extra.push({ currencyCode: p.currency, price: toMinor(p.amount, priceDecimals) });
      } else if (p.currency !== defaultCurrency) {
        throw new ConnectorError('invalid_data',
          `${v.sku || 'A variation'}: the Vendure channel sells in ${currencies.join(', ')}, so a price in ${p.currency} cannot be written. ` +
            `Add ${p.currency} to the channel's currencies in Vendure, or give the product a ${defaultCurrency} price.`,
          `price ${p.tag} ${p.currency} ${p.amount}`);
      }
    }
    if (extra.length > 0) out.prices = extra;
    return out;
  }

  /** Absolute stock levels per location: what the hub says is available plus what Vendure's open orders hold. */
  private stockInput(list: Availability[], variant: VendureVariant | null): Array<{ stockLocationId: string; stockOnHand: number }> {
    const byTag = new Map([...this.shop.locations].map(([id, tag]) => [tag, id]));
    return list.map((a) => {
      const locationId = byTag.get(a.tag) ?? /^location (\S+)$/.exec(a.tag)?.[1];
      if (!locationId) {
        throw new ConnectorError('invalid_data',
          `Vendure has no stock location for the stock tagged "${a.tag}" (its locations: ${[...byTag.keys()].join(', ')}). Create the location in Vendure or map the tag.`,
          `stock tag ${a.tag}`);
      }
      const allocated = variant?.stockLevels?.find((l) => String(l.stockLocationId) === locationId)?.stockAllocated ?? 0;
      return { stockLocationId: locationId, stockOnHand: Math.max(0, a.quantity) + allocated };
    });
  }

  /** Facet value ids for a brand and categories, creating the facets and values Vendure does not have yet. */
  private async facetValueIds(brand: string, categories: string[]): Promise<string[]> {
    const wanted = [
      ...(brand ? [{ facet: BRAND_FACET, value: brand }] : []),
      ...categories.filter((c) => c.trim() !== '').map(facetOfCategory),
    ];
    if (wanted.length === 0) return [];
    const codes = [...new Set(wanted.map((w) => vendureCode(w.facet)))];
    const unknown = codes.filter((c) => !this.facetCache.has(c));
    if (unknown.length > 0) {
      const data = await this.client.query<{ facets: { items: Array<{ id: string; code: string; values: Array<{ id: string; name: string }> }> } }>(
        FACETS, { codes: unknown }, { idempotent: true });
      for (const f of data.facets.items) this.facetCache.set(f.code, { id: f.id, values: new Map(f.values.map((v) => [v.name, v.id])) });
    }
    const ids: string[] = [];
    for (const w of wanted) {
      const code = vendureCode(w.facet);
      let facet = this.facetCache.get(code);
      if (!facet) {
        const created = await this.client.query<{ createFacet: { id: string; values: Array<{ id: string; name: string }> } }>(CREATE_FACET, {
          input: { code, isPrivate: false, translations: [{ languageCode: this.shop.languageCode, name: w.facet }], values: [] },
        });
        facet = { id: created.createFacet.id, values: new Map() };
        this.facetCache.set(code, facet);
      }
      let id = facet.values.get(w.value);
      if (!id) {
        const created = await this.client.query<{ createFacetValues: Array<{ id: string }> }>(CREATE_FACET_VALUES, {
          input: [{ facetId: facet.id, code: vendureCode(w.value) || 'value', translations: [{ languageCode: this.shop.languageCode, name: w.value }] }],
        });
        id = created.createFacetValues[0].id;
        facet.values.set(w.value, id);
      }
      if (!ids.includes(id)) ids.push(id);
    }
    return ids;
  }
}

/** A product under the slug the hub would give this record, that is this record: no variants yet, or one of its SKUs. */
function sameProduct(found: VendureProduct, record: Product): boolean {
  const variants = found.variants ?? [];
  if (variants.length === 0) return true;
  const skus = new Set(record.variations.map((v) => v.sku).filter(Boolean));
  return variants.some((v) => skus.has(v.sku));
}

function dimOf(g: OptionGroup): 'size' | 'colour' | typeof VARIANT_GROUP | null {
  if (g.name === VARIANT_GROUP || g.code.endsWith(`-${VARIANT_GROUP}`)) return VARIANT_GROUP;
  if (SIZE_GROUP.test(g.name)) return 'size';
  if (COLOR_GROUP.test(g.name)) return 'colour';
  return null;
}

function valueFor(dim: string, v: Variation, index: number): string {
  if (dim === 'size') return v.size || 'one size';
  if (dim === 'colour') return v.color || 'default';
  return v.sku || `#${index + 1}`;
}

function variantName(record: Product, v: Variation): string {
  const extra = [v.size, v.color].filter(Boolean).join(' ');
  return `${record.title || record.sku}${extra ? ` ${extra}` : ''}`.trim() || v.sku;
}

function asConnectorError(err: unknown): ConnectorError {
  if (err instanceof ConnectorError) return err;
  return new ConnectorError('bug', 'The hub failed while writing to Vendure.', err instanceof Error ? err.stack : String(err));
}
