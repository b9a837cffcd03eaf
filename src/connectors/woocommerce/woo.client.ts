import { request, type Dispatcher } from 'undici';
import { ConnectorError, type ConnectorContext } from '../types.js';
import type { WooConfig } from './config.js';
import { throwIfAborted } from '../abort.js';
import { retryAfterMs, retrying, transportFailure, type AttemptFailure } from '../retry.js';
import { contextReach } from '../reach.js';

const MAX_WAIT_MS = 120_000;

/** One keep-alive pool per hub, through its address policy (src/connectors/reach.ts). */
function sharedAgent(ctx: ConnectorContext): Dispatcher {
  return contextReach(ctx).dispatcher({ connections: 32 });
}

export interface WooPage<T> {
  items: T[];
  total: number | null;
  totalPages: number | null;
}

/**
 * The WooCommerce REST API v3 (`/wp-json/wc/v3`): HTTP Basic with the consumer key
 * and secret, `page`/`per_page` paging with the X-WP-Total and X-WP-TotalPages
 * headers, WordPress error bodies (`{ code, message, data: { status } }`) turned
 * into ConnectorErrors, 429/5xx retried when safe (Retry-After honoured).
 *
 * @example
 * const page = await new WooClient(config, ctx).list('products', { page: 1 });
 */
export class WooClient {
  private readonly base: string;
  private readonly auth: string;

  constructor(
    readonly config: WooConfig,
    private readonly ctx: ConnectorContext,
  ) {
    this.base = `${config.storeUrl.replace(/\/+$/, '')}/wp-json/wc/v3/`;
    this.auth = `Basic ${Buffer.from(`${config.consumerKey}:${config.consumerSecret}`).toString('base64')}`;
  }

  async list<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<WooPage<T>> {
    const { body, headers } = await this.send('GET', path, query, undefined, true);
    if (!Array.isArray(body)) {
      throw new ConnectorError('invalid_data',
        `WooCommerce answered ${path} (page ${query.page ?? 1}) with ${body === null ? 'nothing' : typeof body === 'object' ? 'an object' : typeof body}, not a list. ` +
          'Check that storeUrl is the WordPress site and that nothing in between rewrites its answers.',
        `GET ${path}: ${JSON.stringify(body)?.slice(0, 200)}`);
    }
    return { items: body as T[], total: intHeader(headers['x-wp-total']), totalPages: intHeader(headers['x-wp-totalpages']) };
  }

  async get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    return (await this.send('GET', path, query, undefined, true)).body as T;
  }

  /** POST creates are never repeated once they may have arrived; PUT sets absolute values and may be. */
  async post<T>(path: string, body: unknown, idempotent = false): Promise<T> {
    return (await this.send('POST', path, {}, body, idempotent)).body as T;
  }

  async put<T>(path: string, body: unknown): Promise<T> {
    return (await this.send('PUT', path, {}, body, true)).body as T;
  }

  private async send(
    method: string, path: string, query: Record<string, string | number | undefined>, body: unknown, idempotent: boolean,
  ): Promise<{ body: unknown; headers: Dispatcher.ResponseData['headers'] }> {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const where = `${method} ${url.pathname}${url.search}`;
    return retrying({
      retries: this.config.retries, baseMs: this.config.retryBaseMs, maxWaitMs: MAX_WAIT_MS, idempotent, signal: this.ctx.signal,
      onRetry: (f, attempt, wait) => this.ctx.log.warn({ where, attempt, wait, kind: f.error.kind }, 'WooCommerce request failed, retrying'),
    }, async () => {
      try {
        const res = await request(url, {
          method: method as Dispatcher.HttpMethod,
          headers: { authorization: this.auth, accept: 'application/json', 'user-agent': 'channelsync', ...(payload ? { 'content-type': 'application/json' } : {}) },
          body: payload, dispatcher: sharedAgent(this.ctx), signal: this.ctx.signal,
          headersTimeout: this.config.timeoutMs, bodyTimeout: this.config.timeoutMs,
        });
        return this.interpret(method, url, where, res.statusCode, res.headers, await res.body.text());
      } catch (err) {
        throwIfAborted(this.ctx.signal);
        return transportFailure(err, { name: 'WooCommerce', url: this.config.storeUrl, where, timeoutMs: this.config.timeoutMs, mayHaveApplied: method !== 'GET' });
      }
    });
  }

  /** One answer: its body and headers, or why it failed and whether another attempt may help. */
  private interpret(
    method: string, url: URL, where: string, status: number, headers: Dispatcher.ResponseData['headers'], text: string,
  ): { value: { body: unknown; headers: Dispatcher.ResponseData['headers'] } } | AttemptFailure {
    let json: unknown = undefined;
    try {
      json = text.trim() === '' ? null : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (status >= 200 && status < 300) {
      if (json !== undefined) return { value: { body: json, headers } };
      return {
        retry: 'idempotent',
        error: new ConnectorError('invalid_data', `WooCommerce answered ${method} ${url.pathname} with something that is not JSON: ${JSON.stringify(text.slice(0, 120))}`, where),
      };
    }
    const wp = json && typeof json === 'object' ? json as { code?: string; message?: string } : {};
    const said = wp.message ? `: ${stripTags(wp.message)}` : '';
    const detail = `${where} -> HTTP ${status} ${wp.code ?? ''} ${text.slice(0, 200)}`;
    if (status === 429) {
      const waitMs = retryAfterMs(headers['retry-after']);
      return {
        retry: 'always', waitMs,
        error: new ConnectorError('rate_limited', 'The store is limiting how fast the hub may call it; the hub will try again later.', detail, waitMs ?? this.config.retryBaseMs),
      };
    }
    if (status === 401 || status === 403) {
      return {
        retry: 'never',
        error: new ConnectorError('auth',
          `WooCommerce refused the consumer key (HTTP ${status}${said}). Check that the key and secret are right, still exist, and have read/write permission.`, detail),
      };
    }
    if (status === 404 && wp.code === 'rest_no_route') {
      return {
        retry: 'never',
        error: new ConnectorError('config', `The site at ${this.config.storeUrl} has no WooCommerce REST API (rest_no_route). Check storeUrl and that WooCommerce is active.`, detail),
      };
    }
    if (status === 404) return { retry: 'never', error: new ConnectorError('not_found', `WooCommerce has nothing at ${url.pathname}${said}.`, detail) };
    if (status >= 500) {
      const waitMs = status === 503 ? retryAfterMs(headers['retry-after']) : undefined;
      return { retry: 'idempotent', waitMs, error: new ConnectorError('transient', `WooCommerce is having problems (HTTP ${status}); the hub will try again later.`, detail, waitMs) };
    }
    return { retry: 'never', error: new ConnectorError('invalid_data', `WooCommerce refused the change (HTTP ${status}${said}).`, detail) };
  }
}

function intHeader(v: string | string[] | undefined): number | null {
  const n = Number(Array.isArray(v) ? v[0] : v);
  return v !== undefined && Number.isInteger(n) && n >= 0 ? n : null;
}

function stripTags(s: string): string {
  return s.replace(/<[^>]+>/g, '').trim();
}


