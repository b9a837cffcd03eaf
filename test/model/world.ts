/**
 * A model-based randomized convergence run: a webshop W (the master of catalog, prices and
 * stock, and the fulfiller of orders) and two or three marketplaces (reference storefronts in
 * the protocol's quirky shapes) around one hub running in a child process. A seeded PRNG draws
 * a list of steps: merchant edits on W, new products, orders on the marketplaces and on W,
 * fulfilment on W, description edits on a marketplace, fetch/send/sync of random connections
 * (some awaited, some left running in parallel), injected 5xx / 429 / lost answers / slowness,
 * price and stock rule changes, absorb toggled off and on, a marketplace connected mid-way,
 * and hub kill -9 + restart on the same data.
 *
 * Next to the platforms runs a reference model of what each of them must hold. Every few
 * steps (and at the end) the world is brought to quiescence (faults off, jobs awaited, rounds
 * of fetch/send on every connection until nothing is pending and nothing is written) and the
 * invariants are checked against the model, never against what the hub says:
 * - every marketplace order is in W exactly once (by order number), with its lines;
 * - every sale is counted once: W's stock = initial + merchant edits - units sold anywhere;
 * - no duplicate listing anywhere: each SKU once on every platform and once in the hub;
 * - every platform equals the model: titles, descriptions, prices (after that connection's
 *   price rule), stock (after its stock rule), shipments back on the marketplace's order;
 * - no hub price changed by a rule: the hub's master prices are W's prices; no hold left open.
 *
 * The step choices depend only on the seed and the model (never on timing), so a seed replays
 * the same steps; interleavings of the parallel jobs still vary from run to run.
 */
import { startStorefront, type StoreOrder, type Storefront, type StoreProduct, type StoreVariation, type Faults } from '../../src/storefront/server.js';
import { demoProduct } from '../../src/storefront/catalog.js';
import type { DbKind } from '../helpers/hub.js';
import { HubHost } from './hub-process.js';
import { Prng } from './prng.js';

process.env.CHANNELSYNC_ALLOW_PRIVATE_TARGETS = '1';

/** How a failing seed is run again. */
export function replayCommand(seed: number, opts: RunOptions): string {
  return `npm run soak -- convergence --seed ${seed} --db ${opts.db} --steps ${opts.steps ?? DEFAULT_STEPS}`
    + `${opts.checkEvery && opts.checkEvery !== DEFAULT_CHECK_EVERY ? ` --check-every ${opts.checkEvery}` : ''}`
    + `${opts.kills === false ? ' --no-kills' : ''}${opts.killQueued === false ? ' --no-kill-queued' : ''}${opts.marketEdits === false ? ' --no-market-edits' : ''}${opts.marketStock ? ' --market-stock' : ''}`;
}

const DEFAULT_STEPS = 36;
const DEFAULT_CHECK_EVERY = 12;

export interface RunOptions {
  db: DbKind;
  /** Random steps in all (checkpoints not counted). */
  steps?: number;
  /** A quiescence check every this many steps (and always at the end). */
  checkEvery?: number;
  /** Hub kill -9 and restart allowed (default true). */
  kills?: boolean;
  /**
   * A kill may land while a job just asked for is still queued (default true). false: the kill
   * first waits (at most 5 s) until every job in flight has started, so it cuts jobs mid-run only.
   */
  killQueued?: boolean;
  /** Merchant edits on the marketplaces' side (descriptions) as well as on W (default true). */
  marketEdits?: boolean;
  /** Marketplaces take a sale off their own stock, as real ones do (default false: the hub's hold does it). */
  marketStock?: boolean;
  /** Progress lines as they happen. */
  onLog?: (line: string) => void;
}

export interface RunResult {
  seed: number;
  db: DbKind;
  ok: boolean;
  violations: string[];
  /** Every step and checkpoint, in order. */
  log: string[];
  replay: string;
  ms: number;
  counts: Record<string, number>;
}

type Round = 'none' | 'cents99' | 'integer';
interface PriceRule { marginPercent: number; add: number; round: Round }
interface StockRule { buffer: number; max: number | null }

interface MVar { sku?: string; price: number; stock: number }
interface MProduct { sku: string; wId: string; anon: boolean; title: string; description: string; vars: MVar[] }
interface MLine { sku: string; pos: number; qty: number }
interface MOrder { number: string; on: string; lines: MLine[]; tracking?: string; knownInW: boolean }

interface Market {
  name: string;
  shop: Storefront;
  id: string;
  price: PriceRule;
  stock: StockRule;
  absorb: boolean;
  /** SKUs checked present at the last quiescence: orders and edits may name them. */
  known: Set<string>;
}

interface Tracked { jobId: string; generation: number; what: string }

const cents = (n: number) => Math.round(n * 100) / 100;

/** The price rule as the README states it: margin, then add, then rounding. */
export function ruledPrice(amount: number, r: PriceRule): number {
  const raw = amount * (1 + r.marginPercent / 100) + r.add;
  if (r.round === 'integer') return Math.round(raw);
  if (r.round === 'cents99') return raw <= 0 ? 0 : Math.floor(raw) + 0.99;
  return cents(raw);
}

/** The stock rule: minus the buffer, capped at max, never below zero. */
export function ruledStock(quantity: number, r: StockRule): number {
  const q = Math.max(0, quantity - r.buffer);
  return r.max === null ? q : Math.min(q, r.max);
}

const storeStock = (v: StoreVariation | undefined) =>
  (Array.isArray(v?.availabilities) ? v!.availabilities : []).reduce((n, a) => n + (Number(a.quantity) || 0), 0);
const storePrice = (v: StoreVariation | undefined) => {
  const list = Array.isArray(v?.prices) ? v!.prices : [];
  const p = list.find((x) => x.tag === 'default') ?? list[0];
  return p === undefined ? NaN : Number(p.number);
};

function randomPriceRule(r: Prng): PriceRule {
  return { marginPercent: r.pick([0, 0, 10, 15, 20, 25]), add: r.pick([0, 0, 1, 2.5]), round: r.pick(['none', 'none', 'cents99', 'integer'] as const) };
}
function randomStockRule(r: Prng): StockRule {
  return { buffer: r.pick([0, 0, 1, 2]), max: r.pick([null, null, null, 5, 20]) };
}

/**
 * Runs one seed from an empty hub to its last check. Never throws for a violated
 * invariant: the result lists them (with the step log); it throws only when the world
 * itself cannot be set up.
 */
export async function runSeed(seed: number, opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const steps = opts.steps ?? DEFAULT_STEPS;
  const checkEvery = opts.checkEvery ?? DEFAULT_CHECK_EVERY;
  const rng = new Prng(seed);
  const log: string[] = [];
  const violations: string[] = [];
  const counts: Record<string, number> = {};
  const say = (line: string) => {
    const text = `[${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`;
    log.push(text);
    opts.onLog?.(text);
  };
  const count = (k: string) => { counts[k] = (counts[k] ?? 0) + 1; };

  // ---- the model, and the platforms it describes ------------------------------------
  const model = new Map<string, MProduct>();
  const orders: MOrder[] = [];
  const webOrders: MOrder[] = [];
  let productSerial = 0;
  let orderSerial = 0;
  let editSerial = 0;

  const initial: StoreProduct[] = [];
  const addToCatalog = (p: StoreProduct) => {
    initial.push(p);
  };
  /** A demo product (variations with ids and SKUs, prices as text or numbers, stock as text). */
  const demo = (i: number, id: string): StoreProduct => {
    const p = demoProduct(i);
    p._id = id;
    p.variations = p.variations!.slice(0, 3).map((v, j) => ({
      ...v, _id: `${id}-${j + 1}`, availabilities: [{ tag: 'default', quantity: String(rng.int(4, 30)) }],
    }));
    return p;
  };
  /** The protocol's own example shape: variations with no _id and no sku, identified by position. */
  const anonymous = (k: number, id: string): StoreProduct => ({
    _id: id, sku: `ANON-${seed}-${k}`, title: `Plain item ${k}`, brand: 'Plain', description: `No variation ids ${k}`,
    variations: Array.from({ length: rng.int(1, 3) }, (_, j) => ({
      color: ['Black', 'White', 'Red'][j], size: 'M',
      availabilities: [{ tag: 'default', quantity: String(rng.int(4, 25)) }],
      prices: [{ tag: 'default', currency: 'USD', number: (rng.int(900, 6000) / 100).toFixed(2) }],
    })),
  });
  const remember = (p: StoreProduct) => {
    model.set(p.sku!, {
      sku: p.sku!, wId: p._id, anon: !p.variations![0].sku, title: p.title ?? '', description: p.description ?? '',
      vars: p.variations!.map((v) => ({ ...(v.sku ? { sku: v.sku } : {}), price: storePrice(v), stock: storeStock(v) })),
    });
  };
  const nextDemoIndex = () => {
    let i = 3 * productSerial++ + (seed % 3);
    if (i % 10 === 9) i = 3 * productSerial++ + (seed % 3); // every tenth demo product is priced in "MX"
    return i;
  };
  for (let k = 0; k < 4; k++) addToCatalog(demo(nextDemoIndex(), String(2_000_001 + k)));
  for (let k = 0; k < 2; k++) addToCatalog(anonymous(k, String(2_100_001 + k)));
  initial.forEach(remember);

  const host = await HubHost.create(opts.db);
  const shops: Storefront[] = [];
  const faults = new Map<Storefront, Faults>();
  const tracked: Tracked[] = [];
  let w: Storefront | null = null;
  let wId = '';
  const markets: Market[] = [];
  let kills = 0;

  const api = async (method: string, p: string, body?: unknown) => {
    const res = await host.api(method, p, body);
    if (res.status >= 400) throw new Error(`${method} ${p} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    return res.body;
  };
  const connect = async (name: string, shop: Storefront, settings: unknown) => (await api('POST', '/api/connections', {
    name, kind: 'custom', config: { productsUrl: shop.productsUrl, ordersUrl: shop.ordersUrl, key: shop.key, retryBaseMs: 5, retries: 4 }, settings,
  })).id as string;

  /** A copy of some W products as a marketplace already holding them has them: its own ids, the model's values. */
  const heldCopies = (base: number, skus: string[]): StoreProduct[] => skus.map((sku, i) => {
    const src = structuredClone(w!.products.get(model.get(sku)!.wId)!);
    const m = model.get(sku)!;
    const id = String(base + i);
    return {
      ...src, _id: id, title: m.title, description: m.description,
      variations: src.variations!.map((v, j) => ({
        ...v, ...(v._id ? { _id: `${id}-v${j}` } : {}),
        availabilities: [{ tag: 'default', quantity: String(m.vars[j].stock) }],
        prices: [{ tag: 'default', currency: 'USD', number: m.vars[j].price.toFixed(2) }],
      })),
    };
  });

  const addMarket = async (name: string, held: string[]) => {
    const shop = await startStorefront({ key: `conv-${name.toLowerCase()}-${seed}-key`, products: heldCopies(3_000_001 + 100_000 * markets.length, held), pageSize: 4, decrementStockOnOrder: opts.marketStock === true });
    shops.push(shop);
    faults.set(shop, {});
    const price = randomPriceRule(rng);
    const stock = randomStockRule(rng);
    const id = await connect(name, shop, { absorb: { products: true }, price, stock });
    const m: Market = { name, shop, id, price, stock, absorb: true, known: new Set() };
    markets.push(m);
    say(`connect ${name} holding [${held.join(' ')}] price ${JSON.stringify(price)} stock ${JSON.stringify(stock)}`);
    return m;
  };

  // ---- jobs -----------------------------------------------------------------------------
  const startJob = async (type: 'fetch' | 'send' | 'sync', connId: string, what: string): Promise<Tracked | null> => {
    const res = await host.api('POST', `/api/connections/${connId}/${type}`);
    if (res.status !== 202) {
      say(`  ${what}: answered ${res.status}`);
      return null;
    }
    const t = { jobId: res.body.jobId as string, generation: host.generation, what };
    tracked.push(t);
    return t;
  };
  const waitJob = async (t: Tracked, timeoutMs = 120_000): Promise<any> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (t.generation !== host.generation) return { state: 'lost' };
      const res = await host.api('GET', `/api/jobs/${t.jobId}`).catch(() => null);
      const job = res?.body;
      if (job && ['completed', 'failed', 'cancelled'].includes(job.state)) {
        const i = tracked.indexOf(t);
        if (i >= 0) tracked.splice(i, 1);
        return job;
      }
      if (Date.now() > deadline) throw new Error(`job ${t.what} (${t.jobId}) still ${job?.state} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 40));
    }
  };
  /** The non-zero counters of a job's summary, e.g. `send{created:3,recovered:1} sendOrders{forwarded:1}`. */
  const summarise = (job: any) => {
    if (job.state !== 'completed') return `${job.state}${job.error ? `: ${String(job.error).slice(0, 160)}` : ''}`;
    const parts: string[] = [];
    for (const [k, v] of Object.entries(job.summary ?? {})) {
      if (!v || typeof v !== 'object') continue;
      const nz = Object.entries(v as Record<string, unknown>).filter(([f, n]) => typeof n === 'number' && n !== 0 && !['durationMs', 'perSecond'].includes(f));
      if (nz.length) parts.push(`${k}{${nz.map(([f, n]) => `${f}:${n}`).join(',')}}`);
    }
    return `completed ${parts.join(' ')}`;
  };
  const run = async (type: 'fetch' | 'send' | 'sync', connId: string, what: string) => {
    const t = await startJob(type, connId, what);
    if (!t) return null;
    const job = await waitJob(t);
    return job;
  };
  const connName = (id: string) => (id === wId ? 'W' : markets.find((m) => m.id === id)?.name ?? id);

  // ---- quiescence and the invariants ---------------------------------------------------------
  const writes = () => shops.reduce((n, s) => n + s.requests.length, 0);
  /**
   * Until no connection has a job queued or running. A job of a killed process is taken back
   * once its lease expires (30 s), so this waits a little longer than that.
   */
  const waitIdle = async (timeoutMs = 50_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { items } = await api('GET', '/api/connections');
      const busy = items.filter((c: any) => c.state !== 'idle' || (c.jobs ?? []).some((j: any) => j.state === 'queued' || j.state === 'running'));
      if (busy.length === 0) return true;
      if (Date.now() > deadline) {
        const jobs = busy.flatMap((c: any) => (c.jobs ?? []).filter((j: any) => j.state === 'queued' || j.state === 'running')
          .map((j: any) => `${c.name}: ${j.type} ${j.id} ${j.state} attempts ${j.attempts} created ${j.createdAt} started ${j.startedAt}${j.error ? ` (${j.error})` : ''}`));
        violations.push(`jobs still queued or running ${Math.round(timeoutMs / 1000)} s after the world went quiet: ${jobs.join('; ') || busy.map((c: any) => `${c.name} ${c.state}`).join(', ')}`);
        return false;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const settle = async (label: string): Promise<boolean> => {
    say(`checkpoint ${label}: waiting for ${tracked.length} running job(s)`);
    for (const t of [...tracked]) {
      const job = await waitJob(t);
      if (job.state !== 'lost') say(`  ${t.what} ended ${summarise(job)}`);
    }
    tracked.length = 0;
    for (const s of shops) { s.setFaults({}); faults.set(s, {}); }
    for (const m of markets) {
      if (!m.absorb) {
        await api('PATCH', `/api/connections/${m.id}`, { settings: { absorb: { products: true } } });
        m.absorb = true;
        say(`  ${m.name} absorbs products again`);
      }
    }
    if (!(await waitIdle())) return false;
    const order = [wId, ...markets.map((m) => m.id)];
    for (let round = 1; round <= 8; round++) {
      const before = writes();
      const failed: string[] = [];
      const step = async (type: 'fetch' | 'send', id: string) => {
        const job = await run(type, id, `${type} ${connName(id)}`);
        if (job && job.state !== 'completed') failed.push(`${type} ${connName(id)}: ${job.state} ${job.error ?? ''}`);
      };
      // The marketplaces side by side (each its own connection), W in between: orders in, forwards out,
      // W's stock read (holds end), then everything written to the marketplaces and read back.
      const eachMarket = (type: 'fetch' | 'send') => Promise.all(markets.map((m) => step(type, m.id)));
      await eachMarket('fetch');
      await step('send', wId);
      await step('fetch', wId);
      await eachMarket('send');
      await step('fetch', wId);
      await eachMarket('fetch');
      let pending = 0;
      const pendingBy: string[] = [];
      for (const id of order) {
        const c = await api('GET', `/api/connections/${id}`);
        pending += c.pending.total;
        if (c.pending.total) pendingBy.push(`${connName(id)} ${JSON.stringify(c.pending)}`);
      }
      const wrote = writes() - before;
      say(`  settle round ${round}: ${wrote} write(s), pending ${pending}${pendingBy.length ? ` (${pendingBy.join('; ')})` : ''}${failed.length ? `, failed: ${failed.join('; ')}` : ''}`);
      if (round >= 2 && pending === 0 && wrote === 0 && failed.length === 0) return true;
    }
    violations.push(`${label}: the hub did not settle in 8 rounds of fetch/send without faults (see the log)`);
    return false;
  };

  const check = async (label: string) => {
    const before = violations.length;
    const bad = (text: string) => violations.push(`${label}: ${text}`);
    const expectShop = (name: string, shop: Storefront, price: (n: number) => number, stock: (n: number) => number) => {
      const bySku = new Map<string, StoreProduct[]>();
      for (const p of shop.products.values()) bySku.set(String(p.sku), [...(bySku.get(String(p.sku)) ?? []), p]);
      for (const [sku, list] of bySku) if (!model.has(sku)) bad(`${name} holds ${list.length} product(s) with SKU ${sku}, which the model does not know`);
      for (const m of model.values()) {
        const list = bySku.get(m.sku) ?? [];
        if (list.length !== 1) {
          bad(`${name} holds ${list.length} listing(s) of ${m.sku} (expected 1)${list.length ? ` ids ${list.map((p) => p._id).join(',')}` : ''}`);
          if (list.length === 0) continue;
        }
        const p = list[0];
        if (p.title !== m.title) bad(`${name} ${m.sku} title: expected "${m.title}", got "${p.title}"`);
        if (p.description !== m.description) bad(`${name} ${m.sku} description: expected "${m.description}", got "${p.description}"`);
        const vars = Array.isArray(p.variations) ? p.variations : [];
        if (vars.length !== m.vars.length) bad(`${name} ${m.sku}: ${vars.length} variation(s), expected ${m.vars.length}`);
        m.vars.forEach((mv, i) => {
          const v = mv.sku ? vars.find((x) => x.sku === mv.sku) : vars[i];
          const key = `${m.sku}/${mv.sku ?? `#${i}`}`;
          if (!v) return bad(`${name} ${key}: variation missing`);
          const gotPrice = storePrice(v);
          const wantPrice = price(mv.price);
          if (!(Math.abs(gotPrice - wantPrice) < 0.005)) bad(`${name} ${key} price: expected ${wantPrice} (hub ${mv.price}), got ${gotPrice}`);
          const gotStock = storeStock(v);
          const wantStock = stock(mv.stock);
          if (gotStock !== wantStock) bad(`${name} ${key} stock: expected ${wantStock} (hub ${mv.stock}), got ${gotStock}`);
        });
      }
    };
    expectShop('W', w!, (n) => n, (n) => n);
    for (const m of markets) expectShop(m.name, m.shop, (n) => ruledPrice(n, m.price), (n) => ruledStock(n, m.stock));

    // Orders: each marketplace order in W exactly once, with its lines in W's own ids; nothing else.
    const byNumber = (shop: Storefront) => {
      const out = new Map<string, StoreOrder[]>();
      for (const o of shop.orders.values()) out.set(String(o.orderid), [...(out.get(String(o.orderid)) ?? []), o]);
      return out;
    };
    const inW = byNumber(w!);
    const expectedInW = new Set([...orders, ...webOrders].map((o) => o.number));
    for (const [n, list] of inW) if (!expectedInW.has(n)) bad(`W holds ${list.length} order(s) numbered ${n}, which the model does not know`);
    for (const o of [...orders, ...webOrders]) {
      const list = inW.get(o.number) ?? [];
      if (list.length !== 1) {
        bad(`W holds ${list.length} order(s) numbered ${o.number} (expected exactly 1)`);
        if (list.length === 0) continue;
      }
      o.knownInW = true;
      const items = (Array.isArray(list[0].orderItems) ? list[0].orderItems : []) as Array<Record<string, unknown>>;
      for (const line of o.lines) {
        const mp = model.get(line.sku)!;
        const wp = w!.products.get(mp.wId)!;
        const wv = wp.variations![line.pos];
        const want = wv._id ?? String(line.pos);
        const hit = items.filter((it) => String(it.id) === mp.wId && String(it.variation_id) === want && Number(it.quantity) === line.qty);
        if (hit.length !== 1) bad(`W order ${o.number}: ${hit.length} line(s) for ${line.sku}#${line.pos} x${line.qty} (id ${mp.wId}, variation_id ${want}); it has ${JSON.stringify(items.map((it) => [it.id, it.variation_id, it.quantity]))}`);
      }
      if (o.tracking) {
        const onMarket = o.on === 'W' ? null : markets.find((m) => m.name === o.on)!;
        const copy = onMarket ? [...onMarket.shop.orders.values()].find((x) => x.orderid === o.number) : null;
        const tracking = (copy?.shipments as Array<{ trackingNumber?: string }> | undefined)?.[0]?.trackingNumber;
        if (copy && (copy.status !== 'shipped' || tracking !== o.tracking)) bad(`${o.on} order ${o.number}: expected shipped with tracking ${o.tracking}, got ${copy.status} ${tracking}`);
      }
    }
    for (const m of markets) {
      const mine = new Set(orders.filter((o) => o.on === m.name).map((o) => o.number));
      for (const [n, list] of byNumber(m.shop)) {
        if (!mine.has(n)) bad(`${m.name} holds ${list.length} order(s) numbered ${n} that were not placed there`);
        else if (list.length !== 1) bad(`${m.name} holds ${list.length} orders numbered ${n}`);
      }
    }

    // The hub: one record per SKU, master prices and stock = W's (no rule wrote through), no hold open.
    const hubProducts: any[] = [];
    let cursor: string | null = null;
    do {
      const qs: URLSearchParams = new URLSearchParams({ limit: '500', ...(cursor ? { cursor } : {}) });
      const body: any = await api('GET', `/api/products?${qs}`);
      hubProducts.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor);
    const hubBySku = new Map<string, any[]>();
    for (const p of hubProducts) hubBySku.set(p.sku, [...(hubBySku.get(p.sku) ?? []), p]);
    for (const [sku, list] of hubBySku) if (!model.has(sku)) bad(`the hub holds ${list.length} record(s) with SKU ${sku}, which the model does not know`);
    for (const m of model.values()) {
      const list = hubBySku.get(m.sku) ?? [];
      if (list.length !== 1) {
        bad(`the hub holds ${list.length} record(s) of ${m.sku} (expected 1)`);
        if (list.length === 0) continue;
      }
      const rec = list[0];
      m.vars.forEach((mv, i) => {
        const v = mv.sku ? rec.variations.find((x: any) => x.sku === mv.sku) : rec.variations[i];
        const key = `${m.sku}/${mv.sku ?? `#${i}`}`;
        if (!v) return bad(`hub ${key}: variation missing`);
        const amount = Number(v.prices?.[0]?.amount);
        if (!(Math.abs(amount - mv.price) < 0.005)) bad(`hub master price of ${key} changed: expected W's ${mv.price}, got ${amount}`);
        const qty = (v.availabilities ?? []).reduce((n: number, a: any) => n + Number(a.quantity), 0);
        if (qty !== mv.stock) bad(`hub master stock of ${key}: expected ${mv.stock}, got ${qty}`);
      });
      const detail = await api('GET', `/api/products/${rec.id}`);
      const open = detail.reservations?.open ?? {};
      if (Object.keys(open).length > 0) bad(`hub ${m.sku}: holds still open at quiescence ${JSON.stringify(open)}`);
    }
    const hubOrders: any[] = (await api('GET', '/api/orders?limit=1000')).items;
    const hubByNumber = new Map<string, number>();
    for (const o of hubOrders) hubByNumber.set(o.number, (hubByNumber.get(o.number) ?? 0) + 1);
    for (const o of [...orders, ...webOrders]) {
      if ((hubByNumber.get(o.number) ?? 0) !== 1) bad(`the hub holds ${hubByNumber.get(o.number) ?? 0} order(s) numbered ${o.number} (expected 1)`);
    }
    for (const [n, c] of hubByNumber) if (!expectedInW.has(n)) bad(`the hub holds ${c} order(s) numbered ${n}, which the model does not know`);

    say(`check ${label}: ${violations.length - before === 0 ? 'ok' : `${violations.length - before} violation(s)`} (${model.size} products, ${orders.length} marketplace orders, ${webOrders.length} webshop orders)`);
    for (const m of markets) for (const sku of model.keys()) m.known.add(sku);
    return violations.length === before;
  };

  // ---- the steps -------------------------------------------------------------------------------
  const anyPrice = () => (rng.int(500, 9000) / 100);
  const market = () => rng.pick(markets);
  const knownProducts = (m: Market) => [...model.values()].filter((p) => m.known.has(p.sku));

  const placeOrder = (on: Market | null) => {
    const candidates = on ? knownProducts(on) : [...model.values()];
    const sellable = candidates.filter((p) => p.vars.some((v) => (on ? ruledStock(v.stock, on.stock) : v.stock) > 0));
    if (sellable.length === 0) return say(`order on ${on?.name ?? 'W'}: nothing sellable, skipped`);
    const lines: MLine[] = [];
    const items: Array<Record<string, string>> = [];
    const nLines = rng.chance(0.3) ? 2 : 1;
    for (let k = 0; k < nLines; k++) {
      const p = rng.pick(sellable);
      const positions = p.vars.map((v, i) => ({ v, i })).filter(({ v }) => (on ? ruledStock(v.stock, on.stock) : v.stock) > 0);
      if (positions.length === 0) continue;
      const { v, i } = rng.pick(positions);
      if (lines.some((l) => l.sku === p.sku && l.pos === i)) continue;
      const qty = rng.int(1, Math.min(3, v.stock));
      const shop = on ? on.shop : w!;
      const sp = on ? [...shop.products.values()].find((x) => x.sku === p.sku) : w!.products.get(p.wId);
      if (!sp) { say(`  ${p.sku} is not on ${on?.name ?? 'W'}: line skipped`); continue; }
      const svars = sp.variations ?? [];
      const sv = v.sku ? svars.find((x) => x.sku === v.sku) : svars[i];
      const svIndex = sv ? svars.indexOf(sv) : i;
      v.stock -= qty;
      lines.push({ sku: p.sku, pos: i, qty });
      items.push({
        id: sp._id, variation_id: sv?._id ?? String(svIndex), quantity: String(qty),
        unitPrice: String(storePrice(sv)), currencyId: 'USD',
      });
    }
    if (lines.length === 0) return say(`order on ${on?.name ?? 'W'}: no line, skipped`);
    const number = `${on?.name ?? 'W'}-${seed}-${++orderSerial}`;
    const total = items.reduce((n, it) => n + Number(it.unitPrice) * Number(it.quantity), 0);
    (on ? on.shop : w!).placeOrder({
      orderid: number, status: 'payed', dateCreated: new Date().toISOString(), dateClosed: '',
      total: { amount: cents(total).toFixed(2), currency: 'USD' }, orderItems: items,
      buyer: { id: String(orderSerial), email: `buyer${orderSerial}@example.com`, phone: '', firstName: 'Buyer', lastName: String(orderSerial) },
    });
    const o: MOrder = { number, on: on?.name ?? 'W', lines, knownInW: !on };
    (on ? orders : webOrders).push(o);
    say(`order ${number}: ${lines.map((l) => `${l.sku}#${l.pos} x${l.qty}`).join(', ')} [items ${items.map((it) => `${it.id}/${it.variation_id}`).join(', ')}]`);
  };

  const jobStep = async () => {
    const ids = [wId, ...markets.map((m) => m.id)];
    const id = rng.pick(ids);
    const type = rng.pick(['fetch', 'send', 'sync'] as const);
    const parallel = rng.chance(0.55);
    const what = `${type} ${connName(id)}`;
    const t = await startJob(type, id, what);
    if (!t) return;
    if (parallel) return say(`${what} (left running)`);
    const job = await waitJob(t);
    say(`${what}: ${summarise(job)}`);
  };

  const faultStep = () => {
    const shop = rng.pick(shops);
    const name = shop === w ? 'W' : markets.find((m) => m.shop === shop)!.name;
    const kind = rng.weighted({ fail500: 3, fail429: 2, lost: 3, slow: 1 });
    const f = { ...faults.get(shop) };
    if (kind === 'fail500') f.fail500 = rng.int(1, 6);
    if (kind === 'fail429') f.fail429 = { count: rng.int(1, 3), retryAfterSeconds: rng.int(0, 1) };
    if (kind === 'lost') f.failCreateAfterStore = rng.int(1, 2);
    if (kind === 'slow') f.delayMs = rng.int(10, 60);
    faults.set(shop, f);
    shop.setFaults(f);
    say(`faults on ${name}: ${JSON.stringify(f)}`);
  };

  const weights = () => ({
    editPrice: 6, editStock: 6, editTitle: 3, newProduct: 2,
    orderMarket: 9, orderWeb: 2, fulfil: orders.some((o) => o.knownInW && !o.tracking) ? 3 : 0, editDescription: opts.marketEdits === false ? 0 : 2,
    job: 16, fault: 5, priceRule: 2, stockRule: 2, absorb: 2,
    connect: markets.length < 3 ? 1.2 : 0,
    kill: opts.kills === false || kills >= 2 ? 0 : 1.5,
  });

  const descEdited = new Set<string>();
  try {
    w = await startStorefront({ key: `conv-web-${seed}-key`, products: initial, decrementStockOnOrder: true, pageSize: 4 });
    shops.push(w);
    faults.set(w, {});
    await host.start();
    say(`seed ${seed} on ${opts.db}: hub ${host.url}, W holds ${[...model.keys()].join(' ')}`);
    wId = await connect('W', w, { absorb: { orders: true } });
    await addMarket('M1', []);
    // M2 already holds two products (one with variations without ids): it is looked at before creating.
    await addMarket('M2', [[...model.keys()][0], [...model.keys()][4]]);
    say(`initial round: fetch W, send M1, send M2`);
    const ready = await settle('start') && await check('start');

    for (let i = 1; ready && i <= steps; i++) {
      const kind = rng.weighted(weights());
      count(kind);
      const prefix = `#${i} `;
      const sayStep = (s: string) => say(prefix + s);
      switch (kind) {
        case 'editPrice': {
          const p = rng.pick([...model.values()]);
          const pos = rng.int(0, p.vars.length - 1);
          const price = anyPrice();
          p.vars[pos].price = price;
          const v = w.products.get(p.wId)!.variations![pos];
          v.prices = [{ tag: 'default', currency: 'USD', number: price.toFixed(2) }];
          sayStep(`W price of ${p.sku}#${pos} -> ${price.toFixed(2)}`);
          break;
        }
        case 'editStock': {
          const p = rng.pick([...model.values()]);
          const pos = rng.int(0, p.vars.length - 1);
          const delta = rng.int(-Math.min(3, p.vars[pos].stock), 8);
          p.vars[pos].stock += delta;
          // Relative to what the shop holds now: sales not yet forwarded still come off it later.
          const now = storeStock(w.products.get(p.wId)!.variations![pos]);
          w.setStock(p.wId, pos, now + delta);
          sayStep(`W stock of ${p.sku}#${pos} ${delta >= 0 ? '+' : ''}${delta} (shop ${now} -> ${now + delta})`);
          break;
        }
        case 'editTitle': {
          const p = rng.pick([...model.values()]);
          p.title = `${p.title.replace(/ \(rev \d+\)$/, '')} (rev ${++editSerial})`;
          w.products.get(p.wId)!.title = p.title;
          sayStep(`W title of ${p.sku} -> "${p.title}"`);
          break;
        }
        case 'newProduct': {
          const k = productSerial;
          const p = rng.chance(0.35) ? anonymous(100 + k, String(2_200_001 + k)) : demo(nextDemoIndex(), String(2_200_001 + k));
          if (p.sku!.startsWith('ANON')) productSerial++;
          w.products.set(p._id, p);
          remember(p);
          sayStep(`W new product ${p.sku} (${p.variations!.length} variation(s)${p.variations![0].sku ? '' : ', no ids'})`);
          break;
        }
        case 'orderMarket':
          say(prefix.trim());
          placeOrder(market());
          break;
        case 'orderWeb':
          say(prefix.trim());
          placeOrder(null);
          break;
        case 'fulfil': {
          const o = rng.pick(orders.filter((x) => x.knownInW && !x.tracking));
          const copy = [...w.orders.values()].find((x) => x.orderid === o.number)!;
          o.tracking = `TRK${seed}X${++editSerial}`;
          copy.status = 'shipped';
          copy.shipments = [{ carrier: 'DHL', trackingNumber: o.tracking, labelUrl: '', date: new Date().toISOString() }];
          sayStep(`W ships ${o.number}, tracking ${o.tracking}`);
          break;
        }
        case 'editDescription': {
          const m = market();
          const choices = knownProducts(m).filter((p) => !descEdited.has(p.sku));
          if (choices.length === 0) { sayStep(`description edit on ${m.name}: nothing to edit`); break; }
          const p = rng.pick(choices);
          descEdited.add(p.sku);
          const sp = [...m.shop.products.values()].find((x) => x.sku === p.sku)!;
          p.description = `Edited on ${m.name} (${++editSerial})`;
          sp.description = p.description;
          sayStep(`${m.name} description of ${p.sku} -> "${p.description}"`);
          break;
        }
        case 'job':
          say(prefix.trim());
          await jobStep();
          break;
        case 'fault':
          say(prefix.trim());
          faultStep();
          break;
        case 'priceRule': {
          const m = market();
          m.price = randomPriceRule(rng);
          await api('PATCH', `/api/connections/${m.id}`, { settings: { price: m.price } });
          sayStep(`${m.name} price rule -> ${JSON.stringify(m.price)}`);
          break;
        }
        case 'stockRule': {
          const m = market();
          m.stock = randomStockRule(rng);
          await api('PATCH', `/api/connections/${m.id}`, { settings: { stock: m.stock } });
          sayStep(`${m.name} stock rule -> ${JSON.stringify(m.stock)}`);
          break;
        }
        case 'absorb': {
          const m = market();
          m.absorb = !m.absorb;
          await api('PATCH', `/api/connections/${m.id}`, { settings: { absorb: { products: m.absorb } } });
          sayStep(`${m.name} absorb products ${m.absorb ? 'on again' : 'off'}`);
          break;
        }
        case 'connect': {
          const skus = [...model.keys()].filter(() => rng.chance(0.4));
          say(prefix.trim());
          await addMarket(`M${markets.length + 1}`, skus);
          break;
        }
        case 'kill': {
          kills++;
          if (opts.killQueued === false) {
            for (const deadline = Date.now() + 5_000; Date.now() < deadline;) {
              const states = await Promise.all(tracked.map((t) => host.api('GET', `/api/jobs/${t.jobId}`).then((r) => r.body?.state, () => null)));
              if (!states.includes('queued')) break;
              await new Promise((r) => setTimeout(r, 25));
            }
          }
          const running = tracked.length;
          await host.kill();
          tracked.length = 0;
          sayStep(`hub kill -9 with ${running} job(s) in flight; restarting on the same data`);
          await host.start();
          say(`  hub back at ${host.url}`);
          break;
        }
      }
      if (i % checkEvery === 0 || i === steps) {
        descEdited.clear();
        if (!(await settle(`after step ${i}`)) || !(await check(`after step ${i}`))) break;
      }
    }
  } catch (err) {
    violations.push(`the run stopped: ${(err as Error).stack ?? err}`);
    say(`error: ${(err as Error).message}`);
  } finally {
    if (violations.length > 0 && host.stderrTail.trim()) say(`hub stderr (tail): ${host.stderrTail.trim().slice(-1500)}`);
    await host.dispose();
    await Promise.all(shops.map((s) => s.close().catch(() => undefined)));
  }
  return {
    seed, db: opts.db, ok: violations.length === 0, violations, log,
    replay: replayCommand(seed, opts), ms: Date.now() - started, counts,
  };
}

/** A failing result as text: the violations, the replay command, then the step log. */
export function describeResult(r: RunResult): string {
  if (r.ok) return `seed ${r.seed} on ${r.db}: ok in ${(r.ms / 1000).toFixed(1)} s`;
  return [
    `seed ${r.seed} on ${r.db}: ${r.violations.length} violation(s)`,
    ...r.violations.slice(0, 40).map((v) => `  - ${v}`),
    ...(r.violations.length > 40 ? [`  ... and ${r.violations.length - 40} more`] : []),
    `replay: ${r.replay}`,
    'step log:',
    ...r.log.map((l) => `  ${l}`),
  ].join('\n');
}
