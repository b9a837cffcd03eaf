import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Storefront } from '../../src/storefront/server.js';
import type { TestHub } from './hub.js';

/** Fast retries so fault tests do not sit out real backoff. */
export const FAST_RETRIES = { retryBaseMs: 5, retries: 4 };

/** Connects a reference storefront to the hub as a custom connection; returns the API's connection. */
export async function connectShop(
  hub: TestHub, name: string, shop: Storefront,
  opts: { settings?: unknown; config?: Record<string, unknown>; token?: string } = {},
): Promise<any> {
  const res = await hub.api('POST', '/api/connections', {
    name, kind: 'custom',
    config: { productsUrl: shop.productsUrl, ordersUrl: shop.ordersUrl, key: shop.key, ...FAST_RETRIES, ...opts.config },
    ...(opts.settings ? { settings: opts.settings } : {}),
  }, opts.token);
  if (res.status !== 201) throw new Error(`connect ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Every product of the hub (pages through the API). */
export async function allProducts(hub: TestHub, q = ''): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const qs: URLSearchParams = new URLSearchParams({ limit: '1000', ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) });
    const { status, body }: { status: number; body: any } = await hub.api('GET', `/api/products?${qs}`);
    if (status !== 200) throw new Error(`GET /api/products: ${status} ${JSON.stringify(body)}`);
    out.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return out;
}

/** SKU -> how many products the storefront holds with it. */
export function skuCounts(shop: Storefront): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of shop.products.values()) counts.set(String(p.sku), (counts.get(String(p.sku)) ?? 0) + 1);
  return counts;
}

/** Waits until `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A real HTTP proxy in front of a storefront that counts the pages read, can slow reads
 * down, and can break list pages from a given offset on (a store falling over mid-scan).
 */
export async function startBreakingProxy(shop: Storefront): Promise<{
  productsUrl: string; ordersUrl: string; breakFrom: number | null; readDelayMs: number;
  /** Reads wait until this holds (at most 10 s): a listing that starts only once something else happened. */
  holdReadsUntil: (() => boolean) | null;
  readonly reads: number; close(): Promise<void>;
}> {
  const target = new URL(shop.url);
  const state = { breakFrom: null as number | null, reads: 0, readDelayMs: 0, holdReadsUntil: null as (() => boolean) | null };
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    if (req.method === 'GET') {
      state.reads++;
      if (state.readDelayMs > 0) await new Promise((r) => setTimeout(r, state.readDelayMs));
      if (state.holdReadsUntil) await until('the proxy to release reads', state.holdReadsUntil, 10_000).catch(() => undefined);
    }
    const offset = Number(url.searchParams.get('offset') ?? 0);
    if (req.method === 'GET' && state.breakFrom !== null && offset >= state.breakFrom) {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'x-channelsync-key': shop.key });
      res.end('{"paging": {"pageSize": 50, "itemsTotal": ');
      return;
    }
    const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    productsUrl: `${base}/api/product`,
    ordersUrl: `${base}/api/order`,
    get breakFrom() { return state.breakFrom; },
    set breakFrom(v: number | null) { state.breakFrom = v; },
    get reads() { return state.reads; },
    get readDelayMs() { return state.readDelayMs; },
    get holdReadsUntil() { return state.holdReadsUntil; },
    set holdReadsUntil(v: (() => boolean) | null) { state.holdReadsUntil = v; },
    set readDelayMs(v: number) { state.readDelayMs = v; },
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
