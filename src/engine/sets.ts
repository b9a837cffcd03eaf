import { sql, type SQL } from 'drizzle-orm';
import type { Hub } from '../hub.js';
import { ApiError } from '../http/errors.js';
import { DEFAULT_THRESHOLDS, Thresholds } from '../model/settings.js';
import { QUERY_MAX, quoted } from '../model/limits.js';
import { absorbsProducts, owedOn } from './unplanned.js';

/**
 * The search bar's set language (SPEC section 6). An expression is a list of sets
 * separated by commas, intersected: `of brand JBL, without barcode, on "Shop B"`.
 * Words are case-insensitive; values with spaces or commas go in double quotes; a
 * connection is named by its name or by its kind (all connections of that kind).
 * Every set compiles to a parameterised SQL condition on `record_facts r` (and
 * `listing_facts`, the narrow shadows of records and equivalences kept by triggers):
 * values are always bound parameters, never SQL text.
 */
export type SetEntity = 'product' | 'order';

type Slot = 'conn' | 'field' | 'value' | 'year' | 'month';
type El = { kind: 'word'; words: string[]; optional: boolean } | { kind: 'slot'; slot: Slot };

interface Args {
  conn?: ResolvedConnections;
  field?: FieldName;
  value?: string;
  year?: number;
  month?: number;
}

interface ResolvedConnections {
  ids: string[];
  /** Those of `ids` that absorb products: they are owed every product they do not list (unplanned.ts). */
  absorbing: string[];
  text: string;
}

interface BuildContext {
  thresholds: Thresholds;
  now: Date;
  /** Every connection that absorbs products. */
  absorbing: string[];
}

interface SetDef {
  entities: SetEntity[];
  /** Grammars: words (`a|b` alternatives, `[a]` optional) and slots (`<conn>`, `<field>`, `<value>`, `<year>`, `<month>`). */
  grammar: string[];
  /** How the set is shown in GET /api/sets. */
  set: string;
  example: string;
  description: string;
  build(a: Args, c: BuildContext): SQL;
}

/**
 * Product fields `with FIELD` / `without FIELD` understand, and their bit in record_facts.has
 * (cs_product_has in drizzle/0005_set_triggers.sql: change both together). Stock is a total.
 */
const FIELDS = {
  sku: 1, title: 2, description: 4, brand: 8, mpn: 16, model: 32, url: 64, tags: 128, categories: 256,
  deliveryDays: 512, variations: 1024, barcode: 2048, size: 4096, color: 8192, images: 16384, videos: 32768, price: 65536,
  stock: 0,
} as const;
type FieldName = keyof typeof FIELDS;
const FIELD_SYNONYMS: Record<string, FieldName> = {
  tag: 'tags', category: 'categories', image: 'images', video: 'videos', colour: 'color', prices: 'price',
  deliverydays: 'deliveryDays', delivery: 'deliveryDays', ean: 'barcode', gtin: 'barcode', upc: 'barcode', variation: 'variations',
};

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

const uuids = (ids: string[]) => sql`${`{${ids.join(',')}}`}::uuid[]`;
const facts = (value: unknown) => sql`r.facts @> ${JSON.stringify(value)}::jsonb`;
/** Lower-cased by the database, as the facts are; a scalar subquery so it is built once, not per row. */
const lowered = (key: string, value: string, list: boolean) =>
  sql`r.facts @> (select jsonb_build_object(${key}::text, ${list ? sql`jsonb_build_array(lower(${value}))` : sql`lower(${value})`}))`;
const has = (f: FieldName) => f === 'stock' ? sql`r.stock_total > 0` : sql`(r.has & ${FIELDS[f]}::int) <> 0`;

/** Records with a listing on these connections (it exists there and was not found gone). */
const listedOn = (c: ResolvedConnections, extra: SQL = sql``) => sql`r.id in (select l.record_id from listing_facts l
  where l.connection_id = any(${uuids(c.ids)}) and l.listed ${extra})`;
/**
 * Either condition: the first on these connections' stored listings, the second for each connection
 * that absorbs products, which is owed every product it does not hold, its create stored or not (unplanned.ts).
 */
const storedOrOwed = (ids: string[] | null, absorbing: string[], stored: (ids: string[] | null) => SQL) => {
  const others = ids === null ? null : ids.filter((id) => !absorbing.includes(id));
  const parts = [...(others === null || others.length > 0 ? [stored(others)] : []), ...absorbing.map(owedOn)];
  return parts.length === 0 ? sql`false` : sql`(${sql.join(parts, sql` or `)})`;
};
/** Records waiting to be created on these connections. */
const pendingOn = (c: ResolvedConnections) => storedOrOwed(c.ids, c.absorbing, (ids) => sql`r.id in (select l.record_id from listing_facts l
  where l.connection_id = any(${uuids(ids!)}) and not l.listed and not l.gone)`);
const pending = (op: 'insert' | 'update', c: ResolvedConnections | undefined, absorbing: string[]) => {
  const stored = (ids: string[] | null) => sql`r.id in (select l.record_id from listing_facts l
    where l.pending = ${op} ${ids ? sql`and l.connection_id = any(${uuids(ids)})` : sql``})`;
  return op === 'insert' ? storedOrOwed(c ? c.ids : null, c ? c.absorbing : absorbing, stored) : stored(c ? c.ids : null);
};

/**
 * Records with an open issue of these severities. Issues raised while reading carry
 * the connection and external id rather than the record: reach it through the equivalence.
 */
function withIssues(severities: string[]): SQL {
  const sev = sql`i.resolved_at is null and i.severity = any(${`{${severities.join(',')}}`}::text[])`;
  return sql`r.id in (
    select i.record_id from issues i where ${sev} and i.record_id is not null
    union select e.record_id from issues i join equivalences e on e.id = i.equivalence_id where ${sev}
    union select e.record_id from issues i join equivalences e
      on e.connection_id = i.connection_id and e.entity = i.entity and e.external_id = i.external_id
      where ${sev} and i.record_id is null and i.equivalence_id is null)`;
}

const between = (from: Date, to: Date) => sql`r.date_created >= ${from.toISOString()} and r.date_created < ${to.toISOString()}`;
const day = (d: Date, plus = 0) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + plus);
const monday = (d: Date, plusWeeks = 0) => day(d, -((d.getDay() + 6) % 7) + plusWeeks * 7);
const month = (y: number, m: number) => new Date(y, m, 1);

const BOTH: SetEntity[] = ['product', 'order'];
const PRODUCTS: SetEntity[] = ['product'];
const ORDERS: SetEntity[] = ['order'];

const SETS: SetDef[] = [
  {
    entities: BOTH, grammar: ['on <conn>'], set: 'on CONNECTION', example: 'on "Shop B"',
    description: 'Listed on that connection (by name, or every connection of that kind), not found gone',
    build: (a) => listedOn(a.conn!),
  },
  {
    entities: PRODUCTS, grammar: ['on <conn> category <value>'], set: 'on CONNECTION category CATEGORY', example: 'on Vendure category Audio',
    description: 'In that category as that connection has it (or will create it)',
    build: (a) => sql`(${listedOn(a.conn!, sql`and l.ack_categories @> (select jsonb_build_array(lower(${a.value!})))`)}
      or (${lowered('category', a.value!, true)} and ${pendingOn(a.conn!)}))`,
  },
  {
    entities: PRODUCTS, grammar: ['without <conn> category|categories'], set: 'without CONNECTION category', example: 'without Vendure category',
    description: 'On that connection (or to be created there) without any category there',
    build: (a) => sql`(${listedOn(a.conn!, sql`and (l.ack_categories is null or l.ack_categories = '[]'::jsonb)`)}
      or (not ${has('categories')} and ${pendingOn(a.conn!)}))`,
  },
  {
    entities: PRODUCTS, grammar: ['not on <conn>'], set: 'not on CONNECTION', example: 'not on "Shop B"',
    description: 'Not listed on that connection (includes products still to be created there)',
    build: (a) => sql`not exists (select 1 from listing_facts l
      where l.record_id = r.id and l.connection_id = any(${uuids(a.conn!.ids)}) and l.listed)`,
  },
  {
    entities: BOTH, grammar: ['gone from|on <conn>'], set: 'gone from CONNECTION', example: 'gone from "Shop B"',
    description: 'Missing from the last full rescan of that connection',
    build: (a) => sql`r.id in (select l.record_id from listing_facts l where l.connection_id = any(${uuids(a.conn!.ids)}) and l.gone)`,
  },
  {
    entities: PRODUCTS, grammar: ['active on <conn>'], set: 'active on CONNECTION', example: 'active on Vendure',
    description: 'Listed on that connection and published there',
    build: (a) => listedOn(a.conn!, sql`and (l.ack_status is null or l.ack_status = 'published')`),
  },
  {
    entities: PRODUCTS, grammar: ['paused on <conn>'], set: 'paused on CONNECTION', example: 'paused on Vendure',
    description: 'Listed on that connection but unpublished there',
    build: (a) => listedOn(a.conn!, sql`and l.ack_status = 'unpublished'`),
  },
  {
    entities: PRODUCTS, grammar: ['published on <conn>'], set: 'published on CONNECTION', example: 'published on "Shop B"',
    description: 'Published on that connection, or to be created there as published',
    build: (a) => sql`(${listedOn(a.conn!, sql`and (l.ack_status is null or l.ack_status = 'published')`)}
      or ((r.status is null or r.status = 'published') and ${pendingOn(a.conn!)}))`,
  },
  {
    entities: PRODUCTS, grammar: ['unpublished on <conn>'], set: 'unpublished on CONNECTION', example: 'unpublished on Vendure',
    description: 'Unpublished on that connection, or to be created there as unpublished',
    build: (a) => sql`(${listedOn(a.conn!, sql`and l.ack_status = 'unpublished'`)}
      or (r.status = 'unpublished' and ${pendingOn(a.conn!)}))`,
  },
  {
    entities: BOTH, grammar: ['with pending updates|update|changes to <conn>'], set: 'with pending updates to CONNECTION',
    example: 'with pending updates to "Shop B"', description: 'Changes waiting to be sent to that connection (yellow)',
    build: (a, c) => pending('update', a.conn, c.absorbing),
  },
  {
    entities: BOTH, grammar: ['with pending creates|create|inserts|insert to <conn>'], set: 'with pending creates to CONNECTION',
    example: 'with pending creates to "Shop B"', description: 'Waiting to be created on that connection (green)',
    build: (a, c) => pending('insert', a.conn, c.absorbing),
  },
  {
    entities: BOTH, grammar: ['with pending updates|update|changes'], set: 'with pending updates', example: 'with pending updates',
    description: 'Changes waiting to be sent to any connection', build: (_a, c) => pending('update', undefined, c.absorbing),
  },
  {
    entities: BOTH, grammar: ['with pending creates|create|inserts|insert'], set: 'with pending creates', example: 'with pending creates',
    description: 'Waiting to be created on any connection', build: (_a, c) => pending('insert', undefined, c.absorbing),
  },
  {
    entities: BOTH, grammar: ['with issues'], set: 'with issues', example: 'with issues',
    description: 'With an open error or warning on any connection', build: () => withIssues(['error', 'warning']),
  },
  {
    entities: BOTH, grammar: ['without issues'], set: 'without issues', example: 'without issues',
    description: 'Without any open error or warning', build: () => sql`not ${withIssues(['error', 'warning'])}`,
  },
  {
    entities: BOTH, grammar: ['with errors'], set: 'with errors', example: 'with errors',
    description: 'With an open error', build: () => withIssues(['error']),
  },
  {
    entities: BOTH, grammar: ['with warnings'], set: 'with warnings', example: 'with warnings',
    description: 'With an open warning', build: () => withIssues(['warning']),
  },
  {
    entities: BOTH, grammar: ['with notices'], set: 'with notices', example: 'with notices',
    description: 'With an open notice (what the hub fixed while reading)', build: () => withIssues(['notice']),
  },
  {
    entities: PRODUCTS, grammar: ['[with] low stock'], set: 'with low-stock', example: 'with low-stock',
    description: 'Total stock above 0 and at most the low-stock threshold (settings.thresholds.lowStock, default 5)',
    build: (_a, c) => sql`r.stock_total > 0 and r.stock_total <= ${c.thresholds.lowStock}`,
  },
  {
    entities: PRODUCTS, grammar: ['out of stock', 'without stock', '[with] no stock'], set: 'out-of-stock', example: 'out-of-stock',
    description: 'Total stock 0 or less', build: () => sql`r.stock_total <= 0`,
  },
  {
    entities: PRODUCTS, grammar: ['with stock', 'in stock'], set: 'with stock', example: 'with stock',
    description: 'Total stock above 0', build: () => sql`r.stock_total > 0`,
  },
  {
    entities: PRODUCTS, grammar: ['[with] low price|prices'], set: 'with low-price', example: 'with low-price',
    description: 'Lowest price below the low-price threshold (settings.thresholds.lowPrice, default 1) and above the bad-price one',
    build: (_a, c) => sql`r.price_min > ${c.thresholds.badPrice} and r.price_min < ${c.thresholds.lowPrice}`,
  },
  {
    entities: PRODUCTS, grammar: ['[with] bad price|prices'], set: 'bad price', example: 'bad price',
    description: 'A variation without a price, or a price at or below the bad-price threshold (settings.thresholds.badPrice, default 0)',
    build: (_a, c) => sql`(r.price_min is null or r.price_min <= ${c.thresholds.badPrice})`,
  },
  {
    entities: PRODUCTS, grammar: ['with <field>'], set: 'with FIELD', example: 'with barcode',
    description: `Has the field (any variation counts for variation fields). FIELD: ${Object.keys(FIELDS).join(', ')}`,
    build: (a) => has(a.field!),
  },
  {
    entities: PRODUCTS, grammar: ['without <field>'], set: 'without FIELD', example: 'without images',
    description: 'Lacks the field (no variation has it, for variation fields)',
    build: (a) => sql`not ${has(a.field!)}`,
  },
  {
    entities: PRODUCTS, grammar: ['of brand <value>', 'brand <value>'], set: 'of brand BRAND', example: 'of brand JBL',
    description: 'That brand (case-insensitive)',
    build: (a) => lowered('brand', a.value!, false),
  },
  {
    entities: PRODUCTS, grammar: ['of size <value>', 'size <value>'], set: 'of size SIZE', example: 'of size XL',
    description: 'A variation of that size',
    build: (a) => lowered('size', a.value!, true),
  },
  {
    entities: PRODUCTS, grammar: ['of color|colour <value>', 'color|colour <value>'], set: 'of color COLOR', example: 'of color Black',
    description: 'A variation of that color',
    build: (a) => lowered('color', a.value!, true),
  },
  {
    entities: PRODUCTS, grammar: ['of category <value>', 'in category <value>'], set: 'of category CATEGORY', example: 'of category Audio',
    description: 'In that category of the hub record',
    build: (a) => lowered('category', a.value!, true),
  },
  {
    entities: PRODUCTS, grammar: ['sku <value>'], set: 'sku SKU', example: 'sku JBL-EON618S',
    description: 'That SKU, of the product or of one of its variations',
    build: (a) => sql`(r.sku = ${a.value!} or ${facts({ skus: [a.value] })})`,
  },
  {
    entities: ORDERS, grammar: ['number <value>', 'order <value>'], set: 'number NUMBER', example: 'number 900123',
    description: 'The order with that number', build: (a) => sql`r.sku = ${a.value!}`,
  },
  {
    entities: ORDERS, grammar: ['of <year> <month>', 'of <month> <year>'], set: 'of YEAR MONTH', example: 'of 2026 11',
    description: 'Placed in that month (MONTH: 1-12 or its name)',
    build: (a) => between(month(a.year!, a.month! - 1), month(a.year!, a.month!)),
  },
  {
    entities: ORDERS, grammar: ['of <year>'], set: 'of YEAR', example: 'of 2026',
    description: 'Placed in that year', build: (a) => between(month(a.year!, 0), month(a.year! + 1, 0)),
  },
  {
    entities: ORDERS, grammar: ['[of] today'], set: 'of today', example: 'of today',
    description: 'Placed today (the hub\'s time zone)', build: (_a, c) => between(day(c.now), day(c.now, 1)),
  },
  {
    entities: ORDERS, grammar: ['[of] yesterday'], set: 'of yesterday', example: 'of yesterday',
    description: 'Placed yesterday', build: (_a, c) => between(day(c.now, -1), day(c.now)),
  },
  {
    entities: ORDERS, grammar: ['[of] this week'], set: 'of this week', example: 'of this week',
    description: 'Placed since Monday', build: (_a, c) => between(monday(c.now), monday(c.now, 1)),
  },
  {
    entities: ORDERS, grammar: ['[of] last week'], set: 'of last week', example: 'of last week',
    description: 'Placed last week, Monday to Sunday', build: (_a, c) => between(monday(c.now, -1), monday(c.now)),
  },
  {
    entities: ORDERS, grammar: ['[of] this month'], set: 'of this month', example: 'of this month',
    description: 'Placed this calendar month',
    build: (_a, c) => between(month(c.now.getFullYear(), c.now.getMonth()), month(c.now.getFullYear(), c.now.getMonth() + 1)),
  },
  {
    entities: ORDERS, grammar: ['[of] last month'], set: 'of last month', example: 'of last month',
    description: 'Placed last calendar month',
    build: (_a, c) => between(month(c.now.getFullYear(), c.now.getMonth() - 1), month(c.now.getFullYear(), c.now.getMonth())),
  },
  {
    entities: ORDERS, grammar: ['[of] this year'], set: 'of this year', example: 'of this year',
    description: 'Placed this calendar year', build: (_a, c) => between(month(c.now.getFullYear(), 0), month(c.now.getFullYear() + 1, 0)),
  },
  {
    entities: ORDERS, grammar: ['[of] last year'], set: 'of last year', example: 'of last year',
    description: 'Placed last calendar year', build: (_a, c) => between(month(c.now.getFullYear() - 1, 0), month(c.now.getFullYear(), 0)),
  },
];

const GRAMMARS = SETS.map((def) => ({ def, alternatives: def.grammar.map(parseGrammar) }));

function parseGrammar(g: string): El[] {
  return g.split(' ').map((piece): El => {
    const slot = piece.match(/^<(\w+)>$/);
    if (slot) return { kind: 'slot', slot: slot[1] as Slot };
    const optional = piece.startsWith('[') && piece.endsWith(']');
    return { kind: 'word', words: (optional ? piece.slice(1, -1) : piece).split('|'), optional };
  });
}

interface Token {
  text: string;
  lower: string;
  quoted: boolean;
  /** What joined it to the previous token as typed: a space, or the hyphen of `low-stock` / `JBL-1`. */
  sep: ' ' | '-';
}

/** Splits on commas outside double quotes. */
export function splitSets(q: string): string[] {
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

function tokenize(part: string): Token[] {
  const out: Token[] = [];
  const re = /"([^"]*)"|([^\s"]+)/g;
  if ((part.match(/"/g)?.length ?? 0) % 2 === 1) {
    throw ApiError.badRequest(`q: a double quote is not closed in "${part}"`, 'q');
  }
  for (const m of part.matchAll(re)) {
    if (m[1] !== undefined) {
      const text = m[1].trim().replace(/\s+/g, ' ');
      if (text) out.push({ text, lower: text.toLowerCase(), quoted: true, sep: ' ' });
      continue;
    }
    // `out-of-stock` is `out of stock`; a value such as JBL-1 is put back together from its pieces.
    m[2].split(/(?<=[\p{L}\p{N}])-(?=[\p{L}\p{N}])/u).forEach((text, i) => {
      out.push({ text, lower: text.toLowerCase(), quoted: false, sep: i === 0 ? ' ' : '-' });
    });
  }
  return out;
}

interface ConnectionRow {
  id: string;
  name: string;
  kind: string;
  settings: unknown;
}

interface Failure {
  def: SetDef;
  el: El | null;
  /** Set when the words were right but the value was not: an unknown connection, field, month. */
  problem?: { slot: Slot; text: string; from: number; to: number };
}

class Matcher {
  furthest = -1;
  failures: Failure[] = [];

  /** Connection ids by name (spaces folded, lower case) and by kind: computed once, looked up for every span tried. */
  private readonly byName: Map<string, string[]>;

  constructor(private readonly conns: ConnectionRow[], index?: Map<string, string[]>) {
    this.byName = index ?? new Map();
    if (index) return;
    for (const c of conns) {
      // A name longer than a query can be (stored before names had a limit) is never typed: only its kind is indexed.
      const name = c.name.length > QUERY_MAX ? null : c.name.trim().replace(/\s+/g, ' ').toLowerCase();
      for (const key of new Set([name, c.kind.toLowerCase()])) {
        if (key === null) continue;
        const ids = this.byName.get(key);
        if (ids) ids.push(c.id);
        else this.byName.set(key, [c.id]);
      }
    }
  }

  note(pos: number, f: Failure) {
    if (pos > this.furthest) {
      this.furthest = pos;
      this.failures = [];
    }
    if (pos === this.furthest) this.failures.push(f);
  }

  match(def: SetDef, els: El[], toks: Token[], ei = 0, ti = 0, args: Args = {}): Args | null {
    if (ei === els.length) {
      if (ti === toks.length) return args;
      this.note(ti, { def, el: null });
      return null;
    }
    const el = els[ei];
    if (el.kind === 'word') {
      const t = toks[ti];
      if (t && !t.quoted && el.words.includes(t.lower)) {
        const done = this.match(def, els, toks, ei + 1, ti + 1, args);
        if (done) return done;
      } else {
        this.note(ti, { def, el });
      }
      return el.optional ? this.match(def, els, toks, ei + 1, ti, args) : null;
    }
    if (ti >= toks.length) {
      this.note(ti, { def, el });
      return null;
    }
    if (el.slot === 'conn' || el.slot === 'value') {
      // A name or value may span several words: try every length, shortest first.
      const last = ei === els.length - 1;
      for (let k = last ? toks.length - ti : 1; ti + k <= toks.length; k++) {
        const text = toks.slice(ti, ti + k).map((t, i) => (i === 0 ? t.text : t.sep + t.text)).join('');
        let next: Args;
        if (el.slot === 'conn') {
          const ids = this.resolve(text);
          if (ids.length === 0) {
            // Only a name that would fit the rest of the set is worth reporting as unknown.
            const after = els[ei + 1];
            const fits = last || (after?.kind === 'word' && !!toks[ti + k] && after.words.includes(toks[ti + k].lower));
            if (fits) this.note(ti, { def, el, problem: { slot: 'conn', text, from: ti, to: ti + k } });
            continue;
          }
          const absorbing = this.conns.filter((c) => ids.includes(c.id) && absorbsProducts(c.settings)).map((c) => c.id);
          next = { ...args, conn: { ids, absorbing, text } };
        } else {
          next = { ...args, value: text };
        }
        const done = this.match(def, els, toks, ei + 1, ti + k, next);
        if (done) return done;
      }
      return null;
    }
    const t = toks[ti];
    const value = readSlot(el.slot, t);
    if (value === null) {
      this.note(ti, { def, el, problem: { slot: el.slot, text: t.text, from: ti, to: ti + 1 } });
      return null;
    }
    return this.match(def, els, toks, ei + 1, ti + 1, { ...args, [el.slot]: value });
  }

  /** A matcher over the same connections, sharing their index. */
  fresh(): Matcher {
    return new Matcher(this.conns, this.byName);
  }

  resolve(text: string): string[] {
    return this.byName.get(text.toLowerCase()) ?? [];
  }
}

function readSlot(slot: Slot, t: Token): string | number | null {
  if (slot === 'field') {
    const f = (Object.keys(FIELDS) as FieldName[]).find((k) => k.toLowerCase() === t.lower) ?? FIELD_SYNONYMS[t.lower];
    return f ?? null;
  }
  if (slot === 'year') return /^\d{4}$/.test(t.text) ? Number(t.text) : null;
  if (slot === 'month') {
    if (/^\d{1,2}$/.test(t.text) && Number(t.text) >= 1 && Number(t.text) <= 12) return Number(t.text);
    const i = MONTHS.findIndex((m) => m === t.lower || (t.lower.length >= 3 && m.startsWith(t.lower)));
    return i >= 0 ? i + 1 : null;
  }
  return t.text;
}

export interface CompileOptions {
  /** The moment "today", "this month"... are relative to (default: now, in the hub's time zone). */
  now?: Date;
}

/**
 * Compiles a set expression into a parameterised SQL condition on `record_facts r`.
 * An empty expression is every record. A set that is not understood is a 400 that
 * names the word and suggests the closest set.
 *
 * @example
 * const where = await compileSet(hub, 'product', 'of brand JBL, without barcode, on "Shop B"');
 * await hub.db.rows(sql`select r.id from record_facts r where r.entity = 'product' and (${where})`);
 */
export async function compileSet(hub: Hub, entity: SetEntity, q: string, opts: CompileOptions = {}): Promise<SQL> {
  if (q.length > QUERY_MAX) throw ApiError.badRequest(`q: at most ${QUERY_MAX} characters (got ${q.length})`, 'q');
  if (CONTROL.test(q)) throw ApiError.badRequest('q: must not hold control characters (such as NUL)', 'q');
  const parts = splitSets(q);
  if (parts.length === 0) return sql`true`;
  const conns = await hub.db.rows<ConnectionRow>(sql`select id, name, kind, settings from connections order by created_at, id`);
  const matcher = new Matcher(conns);
  const matched = parts.map((part) => parsePart(matcher, conns, entity, part));
  const first = matched.find((m) => m.args.conn)?.args.conn?.ids[0];
  const settings = conns.find((c) => c.id === first)?.settings as { thresholds?: unknown } | undefined;
  const parsed = Thresholds.safeParse(settings?.thresholds ?? {});
  const ctx: BuildContext = {
    thresholds: parsed.success ? parsed.data : { ...DEFAULT_THRESHOLDS }, now: opts.now ?? new Date(),
    absorbing: conns.filter((c) => absorbsProducts(c.settings)).map((c) => c.id),
  };
  return sql.join(matched.map((m) => sql`(${m.def.build(m.args, ctx)})`), sql` and `);
}

function parsePart(matcher: Matcher, conns: ConnectionRow[], entity: SetEntity, part: string): { def: SetDef; args: Args } {
  let toks = tokenize(part);
  const entityWords = entity === 'product' ? ['products', 'product'] : ['orders', 'order'];
  if (toks.length > 1 && !toks[0].quoted && entityWords.includes(toks[0].lower)) toks = toks.slice(1);
  matcher.furthest = -1;
  matcher.failures = [];
  for (const { def, alternatives } of GRAMMARS) {
    if (!def.entities.includes(entity)) continue;
    for (const els of alternatives) {
      const args = matcher.match(def, els, toks);
      if (args) return { def, args };
    }
  }
  const other: SetEntity = entity === 'product' ? 'order' : 'product';
  const probe = matcher.fresh();
  for (const { def, alternatives } of GRAMMARS) {
    if (def.entities.includes(other) && alternatives.some((els) => probe.match(def, els, toks))) {
      throw ApiError.badRequest(`q: "${part}" is a set of ${other}s, not of ${entity}s`, 'q');
    }
  }
  throw ApiError.badRequest(explain(matcher, conns, entity, part, toks), 'q');
}

/** The 400 message: which word was not understood, and the closest set. */
function explain(m: Matcher, conns: ConnectionRow[], entity: SetEntity, part: string, toks: Token[]): string {
  const pos = m.furthest;
  if (pos >= toks.length) {
    const sets = [...new Set(m.failures.map((f) => f.def.set))].slice(0, 3);
    return `q: ${quoted(part)} is not complete; did you mean ${sets.map((s) => `"${s}"`).join(' or ')}?`;
  }
  const word = toks[pos];
  const candidates = new Map<string, SetDef>();
  for (const f of m.failures) {
    if (f.el?.kind === 'word') for (const w of f.el.words) candidates.set(w, f.def);
    if (f.el?.kind === 'slot' && f.el.slot === 'field') for (const k of Object.keys(FIELDS)) candidates.set(k, f.def);
  }
  const best = closest(word.lower, [...candidates.keys()]);
  const close = best && best.d <= Math.max(1, Math.floor(best.word.length / 3));
  const connProblem = m.failures.filter((f) => f.problem?.slot === 'conn')
    .sort((a, b) => a.problem!.text.length - b.problem!.text.length)[0];
  if (!close && connProblem) {
    const { text, from, to } = connProblem.problem!;
    const names = conns.map((c) => c.name);
    const kinds = [...new Set(conns.map((c) => c.kind))];
    const nearest = closest(text, [...names, ...kinds])?.word;
    const fixed = nearest ? [...toks.slice(0, from).map(shown), quoteIfNeeded(nearest), ...toks.slice(to).map(shown)].join(' ') : '';
    const fix = nearest ? `; did you mean ${quoted(fixed, 160)}?` : '';
    const listed = names.slice(0, LISTED_NAMES).map((n) => quoted(n)).join(', ') + (names.length > LISTED_NAMES ? ` and ${names.length - LISTED_NAMES} more` : '');
    const known = conns.length === 0 ? ' There are no connections yet.'
      : ` Connections: ${listed}; kinds: ${kinds.join(', ')}.`;
    return `q: no connection or connector kind is named ${quoted(text)} (in ${quoted(part)})${fix}${known}`;
  }
  if (close && best) {
    const fixed = toks.map((t, i) => (i === pos ? best!.word : shown(t))).join(' ');
    return `q: ${quoted(word.text)} is not understood in ${quoted(part)}; did you mean ${quoted(fixed, 160)}? (the set "${candidates.get(best.word)!.set}")`;
  }
  const sets = SETS.filter((d) => d.entities.includes(entity));
  const byText = new Map<string, SetDef>();
  for (const d of sets) for (const t of [d.example, d.set]) byText.set(t, byText.get(t) ?? d);
  const nearest = byText.get(closest(part, [...byText.keys()])!.word)!;
  return `q: ${quoted(word.text)} is not understood in ${quoted(part)}; the closest set is "${nearest.set}" (for example: ${nearest.example}). GET /api/sets lists them all`;
}

/** Connections named in a 400 about an unknown connection; the rest are counted. */
const LISTED_NAMES = 20;
/** Characters of each side a suggestion compares: enough to tell names apart, and a bounded cost whatever was typed or stored. */
const SUGGEST_MAX = 32;
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** What of a text "did you mean" compares: its start, in lower case. */
export function suggestionInput(s: string): string {
  return s.slice(0, SUGGEST_MAX).toLowerCase();
}

/**
 * The candidate closest to `text` and its distance: each distance computed once, on
 * bounded input, and given up as soon as it cannot beat the best so far.
 */
function closest(text: string, candidates: string[]): { word: string; d: number } | null {
  const a = suggestionInput(text);
  let best: { word: string; d: number } | null = null;
  for (const w of candidates) {
    const d = distance(a, suggestionInput(w), best ? best.d - 1 : Infinity);
    if (!best || d < best.d) best = { word: w, d };
  }
  return best;
}

const shown = (t: Token) => (t.quoted ? `"${t.text}"` : t.text);

function quoteIfNeeded(s: string): string {
  return /\s/.test(s) ? `"${s}"` : s;
}

/** Levenshtein distance; once it is sure to exceed `cap`, it stops and answers cap + 1. */
function distance(a: string, b: string, cap = Infinity): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let prev = new Uint32Array(b.length + 1).map((_, i) => i);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (cur[j] < rowMin) rowMin = cur[j];
    }
    if (rowMin > cap) return cap + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/**
 * The sets of one entity, for the search bar's autocomplete: each with its form,
 * an example and what it means, plus the connections and fields they can name.
 */
export async function describeSets(hub: Hub, entity: SetEntity) {
  const conns = await hub.db.rows<ConnectionRow>(sql`select id, name, kind from connections order by created_at, id`);
  return {
    entity: `${entity}s`,
    items: SETS.filter((d) => d.entities.includes(entity)).map((d) => ({ set: d.set, example: d.example, description: d.description })),
    connections: conns.map((c) => ({ id: c.id, name: c.name, kind: c.kind })),
    kinds: [...new Set(conns.map((c) => c.kind))],
    ...(entity === 'product' ? { fields: Object.keys(FIELDS) } : {}),
    thresholds: { ...DEFAULT_THRESHOLDS },
    syntax: 'Sets separated by commas are intersected; words are case-insensitive; put values with spaces in double quotes; '
      + 'a connection is named by its name or by its kind (every connection of that kind)',
  };
}
