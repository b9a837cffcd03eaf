import { request, type Dispatcher } from 'undici';
import { ConnectorError, type ConnectorContext } from '../types.js';
import type { ShopifyConfig } from './config.js';
import { sleep, throwIfAborted } from '../abort.js';
import { backoff, retryAfterMs, retrying, transportFailure, type AttemptFailure } from '../retry.js';
import { contextReach } from '../reach.js';

const MAX_WAIT_MS = 120_000;

/** One keep-alive pool per hub, through its address policy (src/connectors/reach.ts). */
function sharedAgent(ctx: ConnectorContext): Dispatcher {
  return contextReach(ctx).dispatcher({ connections: 16 });
}

interface Cost { requestedQueryCost?: number; throttleStatus?: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number } }
interface GqlError { message: string; extensions?: { code?: string } }

export interface UserError { field?: string[] | null; message: string }

/**
 * The Shopify Admin GraphQL API: `X-Shopify-Access-Token`, the calculated query cost
 * and leaky bucket (a THROTTLED answer is waited out for as long as the bucket needs
 * to refill what the query costs; the client also waits before a query when the last
 * answer said too little is left), 429 with Retry-After, and HTTP errors in plain words.
 *
 * @example
 * const { shop } = await new ShopifyClient(config, ctx).query<{ shop: { currencyCode: string } }>('{ shop { currencyCode } }');
 */
export class ShopifyClient {
  private readonly url: string;
  /** What the last answer said about the bucket, to wait before running dry rather than after. */
  private bucket: { available: number; restoreRate: number; at: number } | null = null;

  constructor(
    readonly config: ShopifyConfig,
    private readonly ctx: ConnectorContext,
  ) {
    this.url = `${config.shopUrl.replace(/\/+$/, '')}/admin/api/${config.apiVersion}/graphql.json`;
  }

  /** A query or mutation; `idempotent` says whether repeating it after a lost answer is harmless. */
  async query<T>(document: string, variables: Record<string, unknown> = {}, idempotent = true, expectedCost = 0): Promise<T> {
    const operation = /^\s*(?:query|mutation)\s+(\w+)/.exec(document)?.[1] ?? 'query';
    const payload = JSON.stringify({ query: document, variables });
    const started = Date.now();
    return retrying<T>({
      retries: this.config.retries, baseMs: this.config.retryBaseMs, maxWaitMs: MAX_WAIT_MS, idempotent, signal: this.ctx.signal,
      wait: (f, attempt) => Math.max(f.waitMs ?? backoff(attempt, this.config.retryBaseMs), f.error.kind === 'rate_limited' ? 50 : 0),
      // A throttled query was not run: it is repeated for as long as the allowance takes to come back (up to two minutes).
      exhausted: (f, attempt, wait) => (f.error.kind === 'rate_limited' ? Date.now() - started + wait > MAX_WAIT_MS : attempt >= this.config.retries),
      onRetry: (f, attempt, wait) => this.ctx.log.warn({ operation, attempt, wait, kind: f.error.kind }, 'Shopify request failed, retrying'),
    }, async (): Promise<{ value: T } | AttemptFailure> => {
      await this.waitForBucket(expectedCost);
      try {
        const res = await request(this.url, {
          method: 'POST', body: payload, dispatcher: sharedAgent(this.ctx), signal: this.ctx.signal,
          headers: { 'content-type': 'application/json', accept: 'application/json', 'x-shopify-access-token': this.config.accessToken, 'user-agent': 'channelsync' },
          headersTimeout: this.config.timeoutMs, bodyTimeout: this.config.timeoutMs,
        });
        return this.interpret<T>(operation, res.statusCode, res.headers, await res.body.text());
      } catch (err) {
        throwIfAborted(this.ctx.signal);
        if (err instanceof ConnectorError) throw err;
        return transportFailure(err, { name: 'Shopify', url: this.config.shopUrl, where: operation, timeoutMs: this.config.timeoutMs });
      }
    });
  }

  /** One answer: its data, a failure worth another attempt, or (thrown) one that is not. */
  private interpret<T>(operation: string, status: number, headers: Dispatcher.ResponseData['headers'], text: string): { value: T } | AttemptFailure {
    let body: { data?: T; errors?: GqlError[] | string | Record<string, unknown>; extensions?: { cost?: Cost } } | null = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    const cost = body?.extensions?.cost;
    if (cost?.throttleStatus) this.bucket = { available: cost.throttleStatus.currentlyAvailable, restoreRate: cost.throttleStatus.restoreRate, at: Date.now() };
    const said = body && typeof body.errors === 'string' ? `: ${body.errors}` : '';
    const detail = `${operation} -> HTTP ${status} ${text.slice(0, 300)}`;
    if (status === 200 && body) {
      const errors = Array.isArray(body.errors) ? body.errors : [];
      const throttled = errors.find((e) => e.extensions?.code === 'THROTTLED');
      if (throttled) {
        const s = cost?.throttleStatus;
        const need = (cost?.requestedQueryCost ?? 0) - (s?.currentlyAvailable ?? 0);
        const waitMs = s && s.restoreRate > 0 ? Math.ceil((Math.max(need, 1) / s.restoreRate) * 1000) : undefined;
        return {
          retry: 'always', waitMs,
          error: new ConnectorError('rate_limited', 'Shopify is limiting how much the hub may ask at once; the hub waits for its allowance and goes on.', detail, waitMs),
        };
      }
      if (errors.length > 0) {
        const codes = errors.map((e) => e.extensions?.code ?? '').join(',');
        if (/MAX_COST_EXCEEDED/.test(codes)) {
          throw new ConnectorError('bug', `The hub asked Shopify for too much in one query (${operation}).`, detail);
        }
        if (/ACCESS_DENIED/.test(codes)) {
          throw new ConnectorError('auth', `The Shopify app's token lacks a permission ${operation} needs: ${errors[0].message}. Add the scope to the app and reinstall it.`, detail);
        }
        if (/INTERNAL_SERVER_ERROR/.test(codes)) {
          return { retry: 'idempotent', error: new ConnectorError('transient', `Shopify failed while handling ${operation}; the hub will try again later.`, detail) };
        }
        throw new ConnectorError('config', `Shopify did not accept the hub's ${operation} request: ${errors[0].message}. Check apiVersion (the hub speaks 2024-10).`, detail);
      }
      if (body.data === undefined || body.data === null) {
        throw new ConnectorError('invalid_data', `Shopify answered ${operation} without data.`, detail);
      }
      return { value: body.data };
    }
    if (status === 200) {
      return {
        retry: 'idempotent',
        error: new ConnectorError('invalid_data', `Shopify answered ${operation} with something that is not JSON: ${JSON.stringify(text.slice(0, 120))}`, detail),
      };
    }
    if (status === 429) {
      const waitMs = retryAfterMs(headers['retry-after']);
      return {
        retry: 'always', waitMs,
        error: new ConnectorError('rate_limited', 'Shopify is limiting how fast the hub may call it; the hub will try again later.', detail, waitMs ?? this.config.retryBaseMs),
      };
    }
    if (status === 401) {
      throw new ConnectorError('auth', `Shopify refused the access token (HTTP 401${said}). The app may have been uninstalled or its token revoked: paste a new Admin API access token in the connection settings.`, detail);
    }
    if (status === 403) {
      throw new ConnectorError('auth', `Shopify refused the request (HTTP 403${said}). The app's token lacks a permission: check its Admin API scopes.`, detail);
    }
    if (status === 402 || status === 423) {
      throw new ConnectorError('config', `Shopify says the shop is ${status === 402 ? 'frozen (its plan is unpaid)' : 'locked'} (HTTP ${status}); nothing can be synced until it is active again.`, detail);
    }
    if (status === 404) {
      throw new ConnectorError('config', `There is no Shopify Admin API at ${this.url} (HTTP 404). Check shopUrl and apiVersion.`, detail);
    }
    if (status >= 500) {
      const waitMs = retryAfterMs(headers['retry-after']);
      return { retry: 'idempotent', waitMs, error: new ConnectorError('transient', `Shopify is having problems (HTTP ${status}); the hub will try again later.`, detail, waitMs) };
    }
    throw new ConnectorError('invalid_data', `Shopify refused ${operation} (HTTP ${status}${said}).`, detail);
  }

  /** Throws the userErrors of a mutation payload as one invalid_data error. */
  static check(payload: { userErrors?: UserError[] } | null | undefined, what: string): void {
    const errors = payload?.userErrors ?? [];
    if (errors.length > 0) {
      throw new ConnectorError('invalid_data', `Shopify refused ${what}: ${errors.map((e) => `${e.field?.join('.') ?? ''} ${e.message}`.trim()).join('; ')}`,
        JSON.stringify(errors).slice(0, 300));
    }
  }

  private async waitForBucket(cost: number): Promise<void> {
    if (!this.bucket || cost <= 0 || this.bucket.restoreRate <= 0) return;
    const refilled = this.bucket.available + ((Date.now() - this.bucket.at) / 1000) * this.bucket.restoreRate;
    if (refilled >= cost) return;
    await sleep(Math.ceil(((cost - refilled) / this.bucket.restoreRate) * 1000), this.ctx.signal);
  }
}


