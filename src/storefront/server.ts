import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  demoOrder,
  demoProduct,
  FIRST_ORDER_ID,
  FIRST_PRODUCT_ID,
  type StoreOrder,
  type StoreProduct,
  type StoreVariation,
} from './catalog.js';

export type { StoreOrder, StoreProduct, StoreVariation } from './catalog.js';

/** Misbehaviour to switch on at runtime, for tests. Counters count down as they fire. */
export interface Faults {
  /** The next N list responses are truncated JSON. */
  garbageJson?: number;
  /** Responses carry another shop's key. */
  wrongKey?: boolean;
  /** Responses carry no key header at all. */
  missingKey?: boolean;
  /** repeat: every offset returns the first page; total: itemsTotal far above the real count. */
  lyingPaging?: 'repeat' | 'total';
  /** List responses leave out paging.itemsTotal. */
  omitTotal?: boolean;
  /** The next N requests answer 500. */
  fail500?: number;
  /** The next `count` requests answer 429 with `Retry-After: retryAfterSeconds`. */
  fail429?: { count: number; retryAfterSeconds: number };
  /** Every request waits this long before answering. */
  delayMs?: number;
  /** The next N creates are stored, then the connection is dropped without an answer. */
  failCreateAfterStore?: number;
  /** List responses carry broken products: position%10 = 3 variations "oops", 7 quantity "lots", 5 tolerable oddities. */
  wrongTypes?: boolean;
  /** List responses write the products at position%10 = 4 as text that is not JSON (a bare word for the title); the rest of the page is fine. */
  notJsonProducts?: boolean;
}

export interface StorefrontOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  key: string;
  pageSize?: number;
  /** The catalog, or how many deterministic demo products to generate. */
  products?: StoreProduct[] | number;
  /** The orders, or how many demo orders over the products to generate. */
  orders?: StoreOrder[] | number;
  faults?: Faults;
  /** As a real webshop does: an order created in the store takes its quantities off the stock of the variations it names. */
  decrementStockOnOrder?: boolean;
  /** Where to post signed change events (docs/custom-storefront-webhooks.md), e.g. the hub's /hooks/:connectionId. */
  webhookUrl?: string;
}

export type StoreEventType = 'order.created' | 'order.updated' | 'product.created' | 'product.updated' | 'stock.changed';

/** One webhook the store posted: its event, and how the receiver answered (status 0: not reached). */
export interface WebhookDelivery {
  event: { id: string; type: StoreEventType; ids: string[] };
  status: number;
  attempts: number;
  at: number;
}

export interface WriteLogEntry {
  method: string;
  path: string;
  body: unknown;
}

export interface Storefront {
  url: string;
  productsUrl: string;
  ordersUrl: string;
  key: string;
  /** Live state, in insertion order. */
  products: Map<string, StoreProduct>;
  orders: Map<string, StoreOrder>;
  /** Writes received (POSTs), in order; reads are not logged to keep memory flat. */
  requests: WriteLogEntry[];
  /** A customer places an order in this store (not through the API): it gets an `_id` and, with decrementStockOnOrder, takes its stock. */
  placeOrder(order: Omit<StoreOrder, '_id'>): StoreOrder;
  /** Sets a variation's stock at the default location, as the merchant does in the shop's back office; posts stock.changed. */
  setStock(productId: string, variation: number, quantity: number): void;
  /** Starts (or, with null, stops) posting change events to this URL. */
  setWebhook(url: string | null): void;
  /** Posts a change event now (for changes a test made to the live maps directly); resolves once it was delivered or given up. */
  notify(type: StoreEventType, ids: string[]): Promise<WebhookDelivery | null>;
  /** Webhooks posted, in order. */
  webhookDeliveries: WebhookDelivery[];
  /** Resolves once every webhook posted so far was delivered or given up. */
  webhooksSettled(): Promise<void>;
  setFaults(faults: Faults): void;
  close(): Promise<void>;
}

const PRODUCTS_PATH = '/api/product';
const ORDERS_PATH = '/api/order';
const KEY_HEADER = 'x-channelsync-key';
const MAX_BODY = 5 * 1024 * 1024;

/** Records in insertion order with O(1) offset slicing. */
class Collection<T extends { _id: string }> {
  readonly map = new Map<string, T>();
  readonly ids: string[] = [];
  private next: number;

  constructor(firstId: number, items: Iterable<T>) {
    let max = firstId - 1;
    for (const item of items) {
      this.map.set(item._id, item);
      this.ids.push(item._id);
      if (/^\d+$/.test(item._id)) max = Math.max(max, Number(item._id));
    }
    this.next = max + 1;
  }

  slice(offset: number, size: number): T[] {
    // A test may have edited the live map directly: re-read its (insertion-ordered) keys.
    if (this.ids.length !== this.map.size) {
      this.ids.length = 0;
      for (const id of this.map.keys()) this.ids.push(id);
    }
    const out: T[] = [];
    for (const id of this.ids.slice(offset, offset + size)) {
      const item = this.map.get(id);
      if (item) out.push(item);
    }
    return out;
  }

  get size(): number {
    return this.map.size;
  }

  newId(): string {
    let id = String(this.next++);
    while (this.map.has(id)) id = String(this.next++);
    return id;
  }

  add(item: T): void {
    if (!this.map.has(item._id)) this.ids.push(item._id);
    this.map.set(item._id, item);
  }
}

/**
 * Starts a reference custom storefront: the protocol over an in-memory catalog.
 *
 * @example
 * const shop = await startStorefront({ key: 'secret-key', products: 1000 });
 * // shop.productsUrl === 'http://127.0.0.1:PORT/api/product'
 * await shop.close();
 */
export async function startStorefront(opts: StorefrontOptions): Promise<Storefront> {
  const key = opts.key;
  const pageSize = opts.pageSize ?? 100;
  const host = opts.host ?? '127.0.0.1';
  let faults: Faults = { ...opts.faults };

  const productList =
    typeof opts.products === 'number'
      ? Array.from({ length: opts.products }, (_, i) => demoProduct(i))
      : (opts.products ?? []).map((p) => structuredClone(p));
  const products = new Collection<StoreProduct>(FIRST_PRODUCT_ID, productList);
  const orderList =
    typeof opts.orders === 'number'
      ? Array.from({ length: opts.orders }, (_, k) => demoOrder(k, productList))
      : (opts.orders ?? []).map((o) => structuredClone(o));
  const orders = new Collection<StoreOrder>(FIRST_ORDER_ID, orderList);
  const requests: WriteLogEntry[] = [];
  let webhookUrl = opts.webhookUrl ?? null;
  const deliveries: WebhookDelivery[] = [];
  const inFlight = new Set<Promise<unknown>>();

  /** Posts one signed event, as platforms do: retried a few times on failure, never blocking the change itself. */
  function notify(type: StoreEventType, ids: string[]): Promise<WebhookDelivery | null> {
    if (!webhookUrl || ids.length === 0) return Promise.resolve(null);
    const url = webhookUrl;
    const delivery: WebhookDelivery = { event: { id: randomUUID(), type, ids }, status: 0, attempts: 0, at: Date.now() };
    deliveries.push(delivery);
    const body = JSON.stringify(delivery.event);
    const signature = `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
    const run = (async () => {
      for (let attempt = 0; attempt < 4; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        delivery.attempts++;
        try {
          const res = await fetch(url, {
            method: 'POST', body, signal: AbortSignal.timeout(10_000),
            headers: { 'content-type': 'application/json', 'x-channelsync-signature': signature },
          });
          delivery.status = res.status;
          await res.arrayBuffer().catch(() => undefined);
          if (res.status < 500 && res.status !== 429) return delivery;
        } catch {
          delivery.status = 0;
        }
      }
      return delivery;
    })();
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
    return run;
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: `storefront bug: ${(err as Error).message}` });
      else res.destroy();
    });
  });

  function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string | number> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...extra,
    };
    // The store proves who it is on every answer, except to a caller that could not prove who it is.
    if (status !== 401 && !faults.missingKey) headers[KEY_HEADER] = faults.wrongKey ? `another-shop-${key.length}-key` : key;
    res.writeHead(status, headers);
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://storefront');
    if (faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));

    if (req.headers[KEY_HEADER] !== key) {
      req.resume();
      return send(res, 401, { error: 'Missing or wrong X-Channelsync-Key header' });
    }
    if (faults.fail429 && faults.fail429.count > 0) {
      faults.fail429 = { ...faults.fail429, count: faults.fail429.count - 1 };
      req.resume();
      return send(res, 429, { error: 'Too many requests' }, { 'retry-after': String(faults.fail429.retryAfterSeconds) });
    }
    if (faults.fail500 && faults.fail500 > 0) {
      faults.fail500--;
      req.resume();
      return send(res, 500, { error: 'Internal server error' });
    }

    const route = matchRoute(url.pathname);
    if (!route) {
      req.resume();
      return send(res, 404, { error: `No such endpoint: ${url.pathname}` });
    }
    const collection: Collection<StoreProduct> | Collection<StoreOrder> = route.entity === 'products' ? products : orders;

    if (req.method === 'GET') {
      req.resume();
      if (route.id !== undefined) {
        const item = collection.map.get(route.id);
        return item ? send(res, 200, item) : send(res, 404, { error: `No ${route.entity} with _id ${route.id}` });
      }
      return sendPage(res, route.entity, collection, url);
    }
    if (req.method !== 'POST') {
      req.resume();
      return send(res, 405, { error: 'Only GET and POST are supported' });
    }

    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      return send(res, (err as { status?: number }).status ?? 400, { error: (err as Error).message });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return send(res, 400, { error: 'The body must be a JSON object' });
    }
    requests.push({ method: 'POST', path: url.pathname, body });
    const input = body as Record<string, unknown>;

    if (route.id === undefined) {
      const id = collection.newId();
      const { _id: _ignored, ...fields } = input;
      const item = { ...fields, _id: id } as StoreProduct & StoreOrder;
      if (route.entity === 'products') assignVariationIds(item);
      collection.add(item);
      if (route.entity === 'orders' && opts.decrementStockOnOrder) takeStock(products.map, item);
      if (route.entity === 'orders') {
        void notify('order.created', [id]);
        if (opts.decrementStockOnOrder) void notify('stock.changed', productIdsOf(item));
      } else {
        void notify('product.created', [id]);
      }
      if (faults.failCreateAfterStore && faults.failCreateAfterStore > 0) {
        faults.failCreateAfterStore--;
        res.socket?.destroy();
        return;
      }
      return send(res, 201, item);
    }

    const existing = collection.map.get(route.id);
    if (!existing) return send(res, 404, { error: `No ${route.entity} with _id ${route.id}` });
    if (route.entity === 'products') mergeProduct(existing as StoreProduct, input);
    else mergeShallow(existing, input);
    void notify(route.entity === 'products' ? 'product.updated' : 'order.updated', [route.id]);
    return send(res, 200, existing);
  }

  function sendPage(
    res: ServerResponse,
    entity: 'products' | 'orders',
    collection: Collection<StoreProduct> | Collection<StoreOrder>,
    url: URL,
  ): void {
    if (faults.garbageJson && faults.garbageJson > 0) {
      faults.garbageJson--;
      return send(res, 200, `{"paging": {"pageSize": ${pageSize}, "itemsTotal": `);
    }
    const requested = Number.parseInt(url.searchParams.get('offset') ?? '0', 10);
    const offset = faults.lyingPaging === 'repeat' ? 0 : Number.isFinite(requested) && requested > 0 ? requested : 0;
    const real = collection.size;
    const itemsTotal = faults.lyingPaging === 'total' ? real * 10 + 1000 : real;
    let page: unknown[] = collection.slice(offset, pageSize);
    if (faults.wrongTypes && entity === 'products') page = page.map((p, i) => breakProduct(p as StoreProduct, offset + i));
    const paging = faults.omitTotal ? { pageSize, offset } : { pageSize, itemsTotal, offset };
    const list = faults.notJsonProducts && entity === 'products'
      ? `[${page.map((p, i) => (offset + i) % 10 === 4 ? JSON.stringify(p).replace(/"title":"[^"]*"/, '"title":oops') : JSON.stringify(p)).join(',')}]`
      : JSON.stringify(page);
    send(res, 200, `{"paging":${JSON.stringify(paging)},"${entity}":${list}}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: base,
    productsUrl: `${base}${PRODUCTS_PATH}`,
    ordersUrl: `${base}${ORDERS_PATH}`,
    key,
    products: products.map,
    orders: orders.map,
    requests,
    placeOrder(order) {
      const item = { ...structuredClone(order), _id: orders.newId() } as StoreOrder;
      orders.add(item);
      if (opts.decrementStockOnOrder) takeStock(products.map, item);
      void notify('order.created', [item._id]);
      if (opts.decrementStockOnOrder) void notify('stock.changed', productIdsOf(item));
      return item;
    },
    setStock(productId, variation, quantity) {
      const v = products.map.get(productId)?.variations?.[variation];
      if (!v) throw new Error(`No variation ${variation} of product ${productId}`);
      const list = Array.isArray(v.availabilities) ? v.availabilities : (v.availabilities = []);
      const slot = list.find((a) => a.tag === 'default') ?? list[0];
      if (slot) slot.quantity = quantity;
      else list.push({ tag: 'default', quantity });
      void notify('stock.changed', [productId]);
    },
    setWebhook(url) {
      webhookUrl = url;
    },
    notify,
    webhookDeliveries: deliveries,
    async webhooksSettled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    setFaults(f: Faults) {
      faults = { ...f };
    },
    close() {
      webhookUrl = null;
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function matchRoute(pathname: string): { entity: 'products' | 'orders'; id?: string } | null {
  for (const [path, entity] of [[PRODUCTS_PATH, 'products'], [ORDERS_PATH, 'orders']] as const) {
    if (pathname === path || pathname === `${path}/`) return { entity };
    if (pathname.startsWith(`${path}/`)) {
      const rest = pathname.slice(path.length + 1);
      if (rest && !rest.includes('/')) return { entity, id: decodeURIComponent(rest) };
    }
  }
  return null;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw Object.assign(new Error('Body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw Object.assign(new Error('The body is not valid JSON'), { status: 400 });
  }
}

function assignVariationIds(product: StoreProduct): void {
  if (!Array.isArray(product.variations)) return;
  const taken = new Set(product.variations.map((v) => v?._id).filter(Boolean));
  let n = 1;
  for (const v of product.variations) {
    if (!v || typeof v !== 'object' || v._id) continue;
    while (taken.has(`${product._id}-${n}`)) n++;
    v._id = `${product._id}-${n}`;
    taken.add(v._id);
  }
}

/**
 * A partial update: top-level fields replace; each variation entry is matched by
 * `_id` (or, for variations without ids, by position as the protocol says), else by
 * `sku`, and its fields replace; an unmatched entry is a new variation.
 */
function mergeProduct(product: StoreProduct, update: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(update)) {
    if (k === '_id') continue;
    if (k === 'variations' && Array.isArray(v) && Array.isArray(product.variations)) {
      mergeVariations(product, v);
    } else {
      product[k] = v;
    }
  }
}

function mergeVariations(product: StoreProduct, updates: unknown[]): void {
  const list = product.variations as StoreVariation[];
  for (const u of updates) {
    if (!u || typeof u !== 'object' || Array.isArray(u)) continue;
    const entry = u as StoreVariation;
    const id = entry._id !== undefined && entry._id !== null ? String(entry._id) : undefined;
    let target: StoreVariation | undefined;
    if (id !== undefined) {
      target = list.find((v) => v._id === id);
      if (!target && /^\d+$/.test(id) && list.every((v) => !v._id)) target = list[Number(id)];
    }
    if (!target && entry.sku) target = list.find((v) => v.sku === entry.sku);
    if (target) {
      const { _id: _ignored, ...fields } = entry;
      Object.assign(target, fields);
    } else {
      const { _id: _ignored, ...fields } = entry;
      list.push(fields);
      // A store that gives its variations ids gives the new one an id too.
      if (list.length === 1 || list.some((v) => v._id)) assignVariationIds(product);
    }
  }
}

/** The store's product ids an order names. */
function productIdsOf(order: StoreOrder): string[] {
  const items = Array.isArray(order.orderItems) ? order.orderItems as Array<Record<string, unknown>> : [];
  return [...new Set(items.map((it) => String(it?.id ?? '')).filter(Boolean))];
}

/** Takes each order line's quantity off its variation's stock (the default location first), never below zero. */
function takeStock(products: Map<string, StoreProduct>, order: StoreOrder): void {
  const items = Array.isArray(order.orderItems) ? order.orderItems : [];
  for (const it of items as Array<Record<string, unknown>>) {
    const product = products.get(String(it?.id ?? ''));
    const list = Array.isArray(product?.variations) ? product!.variations : [];
    const vid = it?.variation_id === undefined || it?.variation_id === null ? '' : String(it.variation_id);
    let v = list.find((x) => x._id !== undefined && x._id === vid);
    if (!v && /^\d+$/.test(vid) && list.every((x) => !x._id)) v = list[Number(vid)];
    if (!v && typeof it?.sku === 'string' && it.sku) v = list.find((x) => x.sku === it.sku);
    const stock = v?.availabilities;
    if (!Array.isArray(stock) || stock.length === 0) continue;
    let left = Number(it.quantity) || 0;
    for (const a of [...stock].sort((x, y) => Number(y.tag === 'default') - Number(x.tag === 'default'))) {
      if (left <= 0) break;
      const have = Number(a.quantity) || 0;
      const take = Math.min(have, left);
      left -= take;
      a.quantity = typeof a.quantity === 'string' ? String(have - take) : have - take;
    }
  }
}

function mergeShallow(item: Record<string, unknown>, update: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(update)) if (k !== '_id') item[k] = v;
}

/** The `wrongTypes` fault: what a buggy store sends, decided by position so tests can count it. */
function breakProduct(p: StoreProduct, position: number): unknown {
  switch (position % 10) {
    case 3:
      return { ...p, variations: 'oops' };
    case 7: {
      const variations = Array.isArray(p.variations) ? [...p.variations] : [];
      if (variations[0]) variations[0] = { ...variations[0], availabilities: [{ tag: 'default', quantity: 'lots' }] };
      return { ...p, variations };
    }
    case 5:
      return { ...p, title: 12345, tags: 'sale', brand: { name: 'nested' } };
    default:
      return p;
  }
}
