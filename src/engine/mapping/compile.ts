import type { Price, Product, Variation } from '../../model/product.js';
import { stockOf } from '../../model/product.js';
import { matchVariations } from '../diff.js';
import { orderGroups } from './groups.js';
import type { AttributeSource, CategoryRule, MappingGroup, MappingSettings } from './schema.js';
import { compileSelector, inCategory, type Selector } from './selector.js';
import { renderTemplate } from './template.js';

/** Which rule produced a field of what a connection receives (for the preview). */
export interface Explanation {
  /** `title`, `categories`, `variations[SKU].color`... */
  path: string;
  value: unknown;
  rule: string;
}

/** Something that keeps a record from being written to this connection as it stands. */
export interface ListingProblem {
  code: 'no_category' | 'no_rate';
  message: string;
}

type Kind = 'color' | 'size';
interface CompiledGroup {
  group: MappingGroup;
  select: Selector;
  tables: Record<Kind, Map<string, string> | null>;
}
interface CompiledCategoryRule {
  rule: CategoryRule;
  index: number;
  test: (p: Product) => boolean;
}

/**
 * A connection's listing rules, compiled once per settings object: `apply` turns the
 * hub record (after price and stock rules) into what this platform receives, and the
 * `unmap` functions turn what the platform shows back into hub values where that can
 * be done (translations, currency); values made by templates or category rules stay
 * the hub's, so a listing read back never rewrites the hub record with them.
 */
export class CompiledMapping {
  private readonly groups: CompiledGroup[];
  private readonly categoryRules: CompiledCategoryRule[];
  private readonly mappedCategories: boolean;
  private readonly known: Set<string> | null;
  private readonly reverse: Record<Kind, Map<string, string>>;
  private readonly tables: Record<Kind, Map<string, string> | null>;

  constructor(readonly s: MappingSettings) {
    const ordered = orderGroups(s.groups ?? []);
    const order = ordered.ok ? ordered.order : (s.groups ?? []).map((_, i) => i);
    this.groups = order.map((i) => {
      const g = s.groups![i];
      const t = g.attributes?.translations;
      return { group: g, select: compileSelector(g.select), tables: { color: t?.color ? lowerKeys(t.color) : null, size: t?.size ? lowerKeys(t.size) : null } };
    });
    const t = s.attributes?.translations;
    this.tables = { color: t?.color ? lowerKeys(t.color) : null, size: t?.size ? lowerKeys(t.size) : null };
    this.categoryRules = (s.categoryMap ?? []).map((rule, index) => ({ rule, index, test: categoryTest(rule) }));
    this.mappedCategories = !!(s.categoryMap?.length || s.defaultCategory || s.platformCategories || this.groups.some((g) => g.group.category));
    this.known = s.platformCategories ? new Set(s.platformCategories.map((c) => c.toLowerCase())) : null;
    this.reverse = { color: reverseTable(s.attributes?.translations?.color), size: reverseTable(s.attributes?.translations?.size) };
  }

  /**
   * What this connection receives for `p` (already through price and stock rules; `hub`
   * is the hub record itself, for templates). `ack` is what it holds now, null for a create.
   */
  apply(p: Product, hub: Product, ack: Product | null, explain?: Explanation[]): Product {
    const s = this.s;
    const note = explain ? (path: string, value: unknown, rule: string) => explain.push({ path, value, rule }) : null;
    const matched = this.groups.length === 0 ? [] : this.groups.filter((g) => g.select(hub));
    const first = <T>(pick: (g: MappingGroup) => T | undefined): { value: T; group: MappingGroup } | null => {
      for (const { group } of matched) {
        const v = pick(group);
        if (v !== undefined) return { value: v, group };
      }
      return null;
    };

    const variations = this.variations(p, matched, note);
    const out: Product = { ...p, variations };

    // Templates see the platform's option values (translated colours and sizes).
    const forTemplates: Product = { ...hub, variations };
    for (const f of ['title', 'description'] as const) {
      const t = first((g) => g[f]);
      if (t) {
        out[f] = renderTemplate(t.value, forTemplates);
        note?.(f, out[f], `mapping group "${t.group.name}" ${f} template "${t.value}"`);
      } else note?.(f, out[f], 'hub record');
    }
    for (const f of ['brand', 'mpn', 'model', 'url'] as const) {
      const t = first((g) => g.fields?.[f]);
      if (t) {
        out[f] = renderTemplate(t.value, forTemplates);
        note?.(f, out[f], `mapping group "${t.group.name}" field ${f} "${t.value}"`);
      } else if (note && p[f] !== '') note(f, out[f], 'hub record');
    }

    this.categories(out, hub, first((g) => g.category), note);

    const days = first((g) => g.fields?.deliveryDays);
    if (days) {
      out.deliveryDays = days.value;
      note?.('deliveryDays', out.deliveryDays, `mapping group "${days.group.name}" delivery time`);
    } else if (p.deliveryDays === null && s.deliveryDays !== undefined) {
      out.deliveryDays = s.deliveryDays;
      note?.('deliveryDays', out.deliveryDays, 'connection default delivery time (settings.deliveryDays)');
    } else note?.('deliveryDays', out.deliveryDays, p.deliveryDays === null ? 'none' : 'hub record');

    out.status = this.status(out, p, ack, note);
    return out;
  }

  private variations(p: Product, groups: CompiledGroup[], note: ((path: string, value: unknown, rule: string) => void) | null): Variation[] {
    const s = this.s;
    const sourceOf = (kind: Kind): { source: AttributeSource; rule: string } => {
      const g = groups.find((x) => x.group.attributes?.[kind] !== undefined)?.group;
      if (g) return { source: g.attributes![kind]!, rule: `mapping group "${g.name}" ${kind} field` };
      if (s.attributes?.[kind] !== undefined) return { source: s.attributes[kind]!, rule: `settings.attributes.${kind}` };
      return { source: kind, rule: 'hub record' };
    };
    const tableOf = (kind: Kind): { table: Map<string, string>; rule: string } | null => {
      const g = groups.find((x) => x.tables[kind] !== null);
      if (g) return { table: g.tables[kind]!, rule: `mapping group "${g.group.name}" ${kind} translation` };
      const t = this.tables[kind];
      return t ? { table: t, rule: `settings.attributes.translations.${kind}` } : null;
    };
    const src = { color: sourceOf('color'), size: sourceOf('size') };
    const tables = { color: tableOf('color'), size: tableOf('size') };
    const cur = s.currency;
    const convert = !!cur?.code;
    const identity = src.color.source === 'color' && src.size.source === 'size' && !tables.color && !tables.size
      && !convert && !cur?.priceListTag;
    if (identity && !note) return p.variations;
    return p.variations.map((v, i) => {
      const label = note ? `variations[${v.sku || i}]` : '';
      const out: Variation = { ...v };
      for (const kind of ['color', 'size'] as const) {
        const raw = readSource(src[kind].source, v, p);
        const t = tables[kind];
        const translated = t?.table.get(raw.toLowerCase());
        out[kind] = translated ?? raw;
        note?.(`${label}.${kind}`, out[kind], translated !== undefined ? `${t!.rule}: "${raw}" -> "${translated}"` : src[kind].rule);
      }
      let prices = v.prices;
      let priceRule = 'hub record (after price rules)';
      if (cur?.priceListTag) {
        const tagged = prices.filter((x) => x.tag === cur.priceListTag);
        if (tagged.length > 0) {
          prices = tagged;
          priceRule = `price list "${cur.priceListTag}" (settings.currency.priceListTag)`;
        } else {
          prices = prices.filter((x) => x.tag === 'default');
          priceRule = `price list "default": the record has no "${cur.priceListTag}" price`;
        }
      }
      if (convert) {
        prices = prices.map((x) => convertPrice(x, cur!.code!, cur!.rates, cur!.round));
      }
      if (convert && note) {
        const from = [...new Set(v.prices.map((x) => x.currency).filter((c) => c !== cur!.code))];
        if (from.length > 0) {
          const missing = from.filter((c) => cur!.rates[c] === undefined);
          priceRule += missing.length > 0
            ? `; no rate from ${missing.join(', ')} to ${cur!.code} in settings.currency.rates`
            : `; converted ${from.map((c) => `${c} -> ${cur!.code} at ${cur!.rates[c]}`).join(', ')}${cur!.round !== 'none' ? `, rounded ${cur!.round}` : ''}`;
        }
      }
      out.prices = prices;
      note?.(`${label}.prices`, out.prices, priceRule);
      note?.(`${label}.availabilities`, out.availabilities, 'hub record (after stock rules and reservations)');
      return out;
    });
  }

  private categories(out: Product, hub: Product, group: { value: string; group: MappingGroup } | null,
    note: ((path: string, value: unknown, rule: string) => void) | null): void {
    const s = this.s;
    if (group) {
      out.categories = [group.value];
      note?.('categories', out.categories, `mapping group "${group.group.name}" category`);
      return;
    }
    for (const r of this.categoryRules) {
      if (r.test(hub)) {
        out.categories = [r.rule.to];
        note?.('categories', out.categories, `category rule ${r.index + 1} (${describeCategoryRule(r.rule)})`);
        return;
      }
    }
    if (!this.mappedCategories) {
      note?.('categories', out.categories, 'hub record');
      return;
    }
    const known = this.known ? hub.categories.filter((c) => this.known!.has(c.toLowerCase())) : [];
    if (known.length > 0) {
      out.categories = known;
      note?.('categories', out.categories, 'hub categories this platform has (settings.platformCategories)');
    } else if (s.defaultCategory) {
      out.categories = [s.defaultCategory];
      note?.('categories', out.categories, 'connection default category (settings.defaultCategory)');
    } else {
      out.categories = [];
      note?.('categories', out.categories, 'no category rule matches and there is no default category');
    }
  }

  private status(out: Product, p: Product, ack: Product | null, note: ((path: string, value: unknown, rule: string) => void) | null): Product['status'] {
    const pub = this.s.publish;
    if (pub?.unpublishAtZeroStock && out.variations.reduce((n, v) => n + stockOf(v), 0) <= 0) {
      note?.('status', 'unpublished', 'unpublished at zero stock (settings.publish.unpublishAtZeroStock)');
      return 'unpublished';
    }
    if (pub?.newRecords !== undefined) {
      if (!ack) {
        note?.('status', pub.newRecords, `new records are created ${pub.newRecords} (settings.publish.newRecords)`);
        return pub.newRecords;
      }
      // Once created, publishing is the merchant's call on the platform.
      note?.('status', ack.status, 'as on the platform: it governs publishing once the listing exists (settings.publish.newRecords)');
      return ack.status;
    }
    note?.('status', p.status, 'hub record');
    return p.status;
  }

  /** What keeps the projection `target` from being written here. */
  problems(target: Product, connectionName: string): ListingProblem[] {
    const out: ListingProblem[] = [];
    if (this.s.requireCategory && target.categories.length === 0) {
      out.push({ code: 'no_category', message: `no category for ${connectionName}: no category rule matches ${target.sku || 'this product'} and there is no default category` });
    }
    const code = this.s.currency?.code;
    if (code) {
      const missing = [...new Set(target.variations.flatMap((v) => v.prices).map((x) => x.currency).filter((c) => c !== code))];
      if (missing.length > 0) {
        out.push({ code: 'no_rate', message: `no rate from ${missing.join(', ')} to ${code} for ${connectionName} (settings.currency.rates): the price cannot be converted` });
      }
    }
    return out;
  }

  /**
   * Hub values behind a listing read back (`view`), for fields the rules changed:
   * translated colours and sizes are translated back, converted prices converted back
   * to the record's currency, and what templates and category rules made is the hub
   * record's own value. Prices stay as shown (price rules are inverted by the caller).
   */
  unmapSeen(view: Product, record: Product): Product {
    const out: Product = { ...view };
    if (this.groups.some((g) => g.group.title !== undefined)) out.title = record.title;
    if (this.groups.some((g) => g.group.description !== undefined)) out.description = record.description;
    for (const f of ['brand', 'mpn', 'model', 'url'] as const) if (this.groups.some((g) => g.group.fields?.[f] !== undefined)) out[f] = record[f];
    if (this.mappedCategories || this.categoryRules.length > 0) out.categories = record.categories;
    if (record.deliveryDays === null && (this.s.deliveryDays !== undefined || this.groups.some((g) => g.group.fields?.deliveryDays !== undefined))) {
      out.deliveryDays = null;
    }
    const pairs = matchVariations(view.variations, record.variations);
    out.variations = view.variations.map((v, i) => {
      const hubV = pairs[i].prev;
      const x: Variation = { ...v };
      for (const kind of ['color', 'size'] as const) {
        const custom = this.s.attributes?.[kind] !== undefined && this.s.attributes[kind] !== kind;
        if (custom || this.groups.some((g) => g.group.attributes?.[kind] !== undefined || g.group.attributes?.translations?.[kind])) {
          if (hubV) x[kind] = hubV[kind];
        } else {
          x[kind] = this.reverse[kind].get(v[kind].toLowerCase()) ?? v[kind];
        }
      }
      const code = this.s.currency?.code;
      if (code && hubV) {
        x.prices = v.prices.map((pr) => {
          const hubPrice = hubV.prices.find((h) => h.tag === pr.tag);
          const rate = hubPrice ? this.s.currency!.rates[hubPrice.currency] : undefined;
          if (!hubPrice || pr.currency !== code || hubPrice.currency === code || rate === undefined) return pr;
          return { ...pr, currency: hubPrice.currency, amount: Math.round((pr.amount / rate) * 100) / 100 };
        });
      }
      return x;
    });
    return out;
  }

  /** A listing new to the hub, read from this connection: only translations can be undone. */
  unmapNew(view: Product): Product {
    if (this.reverse.color.size === 0 && this.reverse.size.size === 0) return view;
    return {
      ...view,
      variations: view.variations.map((v) => ({
        ...v,
        color: this.reverse.color.get(v.color.toLowerCase()) ?? v.color,
        size: this.reverse.size.get(v.size.toLowerCase()) ?? v.size,
      })),
    };
  }

  /**
   * With a price list tag the connection shows one of the record's price lists: the
   * others are kept when the listing's prices flow back into the record.
   */
  mergePriceLists(hubView: Product, record: Product): Product {
    if (!this.s.currency?.priceListTag) return hubView;
    const pairs = matchVariations(hubView.variations, record.variations);
    return {
      ...hubView,
      variations: hubView.variations.map((v, i) => {
        const hubV = pairs[i].prev;
        if (!hubV) return v;
        const shown = new Map(v.prices.map((x) => [x.tag, x]));
        const kept = hubV.prices.map((x) => shown.get(x.tag) ?? x);
        return { ...v, prices: [...kept, ...v.prices.filter((x) => !hubV.prices.some((h) => h.tag === x.tag))] };
      }),
    };
  }
}

const cache = new WeakMap<object, CompiledMapping | null>();

/** The settings keys that make a mapping; without any of them a connection gets the hub record as is. */
const KEYS = ['platformCategories', 'defaultCategory', 'categoryMap', 'requireCategory', 'attributes', 'groups', 'currency', 'deliveryDays', 'publish'] as const;

/**
 * The compiled mapping of a connection's settings, or null when it has none (the
 * projection is then exactly the price and stock rules). Compiled once per settings object.
 */
export function mappingOf(settings: MappingSettings): CompiledMapping | null {
  let m = cache.get(settings);
  if (m === undefined) {
    m = KEYS.some((k) => settings[k] !== undefined) ? new CompiledMapping(settings) : null;
    cache.set(settings, m);
  }
  return m;
}

function readSource(source: AttributeSource, v: Variation, p: Product): string {
  switch (source) {
    case 'color': return v.color;
    case 'size': return v.size;
    case 'model': return p.model;
    case 'mpn': return p.mpn;
    case 'brand': return p.brand;
    default: {
      const prefix = source.slice(4).toLowerCase();
      const tag = p.tags.find((t) => t.toLowerCase().startsWith(prefix));
      return tag ? tag.slice(prefix.length).replace(/^[:=]/, '').trim() : '';
    }
  }
}

function convertPrice(x: Price, code: string, rates: Record<string, number>, round: 'none' | 'cents99' | 'integer'): Price {
  if (x.currency === code) return x;
  const rate = rates[x.currency];
  if (rate === undefined) return x;
  const raw = x.amount * rate;
  const amount = round === 'integer' ? Math.round(raw) : round === 'cents99' ? (raw <= 0 ? 0 : Math.floor(raw) + 0.99) : Math.round(raw * 100) / 100;
  return { ...x, currency: code, amount };
}

function lowerKeys(table: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(table).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Platform value -> hub value, only where the translation is one-to-one. */
function reverseTable(table: Record<string, string> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!table) return out;
  const seen = new Map<string, number>();
  for (const v of Object.values(table)) seen.set(v.toLowerCase(), (seen.get(v.toLowerCase()) ?? 0) + 1);
  for (const [k, v] of Object.entries(table)) if (seen.get(v.toLowerCase()) === 1) out.set(v.toLowerCase(), k);
  return out;
}

function categoryTest(rule: CategoryRule): (p: Product) => boolean {
  if (rule.category !== undefined) return (p) => inCategory(p.categories, rule.category!);
  if (rule.brand !== undefined) {
    const b = rule.brand.toLowerCase();
    return (p) => p.brand.toLowerCase() === b;
  }
  if (rule.tag !== undefined) {
    const t = rule.tag.toLowerCase();
    return (p) => p.tags.some((x) => x.toLowerCase() === t);
  }
  if (rule.set !== undefined) return compileSelector(rule.set);
  return () => false;
}

function describeCategoryRule(r: CategoryRule): string {
  if (r.category !== undefined) return `category "${r.category}" -> "${r.to}"`;
  if (r.brand !== undefined) return `brand "${r.brand}" -> "${r.to}"`;
  if (r.tag !== undefined) return `tag "${r.tag}" -> "${r.to}"`;
  return `set "${r.set}" -> "${r.to}"`;
}
