import { timingSafeEqual } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { ConnectorError, type ConnectorContext } from '../types.js';
import type { CustomConfig } from './config.js';
import { throwIfAborted } from '../abort.js';
import { retryAfterMs, retrying, transportFailure, type AttemptFailure } from '../retry.js';
import { contextReach } from '../reach.js';
import { redactUrl } from '../redact.js';

export const KEY_HEADER = 'x-channelsync-key';

/** Longest wait the client sits out itself; a longer Retry-After goes back to the job layer. */
const MAX_WAIT_MS = 120_000;
/** A body that is not JSON is usually a proxy page or a half-written response: worth a couple of retries, not more. */
const NOT_JSON_RETRIES = 2;

/** One keep-alive pool shared by every custom connection of a hub, through its address policy; timeouts are set per request. */
function sharedAgent(ctx: ConnectorContext): Dispatcher {
  return contextReach(ctx).dispatcher({ connections: 64 });
}

export interface SendOptions {
  /**
   * Whether repeating the request is harmless. A create is not: once it may have
   * reached the store it is never repeated, so a lost answer cannot make a duplicate.
   */
  idempotent?: boolean;
  /** Overrides the configured number of retries (e.g. a quick `check()`). */
  retries?: number;
}

/** Why one attempt failed and whether another attempt is allowed. */
interface Failure extends AttemptFailure {
  notJson?: boolean;
}

/**
 * HTTP for one custom storefront connection: sends the connection key, checks the
 * store sends it back, retries what is worth retrying, and turns every failure
 * into a ConnectorError with a plain message.
 *
 * @example
 * const client = new CustomClient(config, ctx);
 * const page = await client.get(`${config.productsUrl}?offset=0`);
 */
export class CustomClient {
  constructor(
    readonly config: CustomConfig,
    private readonly ctx: ConnectorContext,
  ) {}

  get signal(): AbortSignal {
    return this.ctx.signal;
  }

  async get(url: string, opts: SendOptions = {}): Promise<unknown> {
    return this.send('GET', url, undefined, { idempotent: true, ...opts });
  }

  /**
   * GET, reading the answer with `decode` instead of JSON.parse. A decode that throws
   * counts as an answer that is not JSON (retried a couple of times, then an error).
   */
  async getDecoded<T>(url: string, decode: (text: string) => T, opts: SendOptions = {}): Promise<T> {
    return await this.send('GET', url, undefined, { idempotent: true, ...opts }, decode) as T;
  }

  async post(url: string, body: unknown, opts: SendOptions = {}): Promise<unknown> {
    return this.send('POST', url, body, opts);
  }

  private async send(
    method: 'GET' | 'POST', url: string, body: unknown, opts: SendOptions, decode: (text: string) => unknown = JSON.parse,
  ): Promise<unknown> {
    const { signal, log } = this.ctx;
    const maxRetries = opts.retries ?? this.config.retries;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'channelsync',
      [KEY_HEADER]: this.config.key,
    };
    if (payload !== undefined) headers['content-type'] = 'application/json';

    let notJson = 0;
    return retrying<unknown, Failure>({
      retries: maxRetries, baseMs: this.config.retryBaseMs, maxWaitMs: MAX_WAIT_MS, idempotent: opts.idempotent === true, signal,
      exhausted: (failure, attempt) => attempt >= maxRetries || (failure.notJson === true && ++notJson > NOT_JSON_RETRIES),
      onRetry: (failure, attempt, waitMs) => log.warn(
        { method, url: redactUrl(url), attempt, waitMs, kind: failure.error.kind, detail: failure.error.detail },
        'custom store request failed, retrying',
      ),
    }, async () => {
      try {
        const res = await request(url, {
          method,
          headers,
          body: payload,
          dispatcher: sharedAgent(this.ctx),
          headersTimeout: this.config.timeoutMs,
          bodyTimeout: this.config.timeoutMs,
          signal,
        });
        const text = await res.body.text();
        return this.interpret(method, url, res.statusCode, res.headers, text, decode);
      } catch (err) {
        throwIfAborted(signal);
        if (err instanceof ConnectorError) throw err;
        return transportFailure(err, { name: 'the store', url, where: `${method} ${url}`, timeoutMs: this.config.timeoutMs, mayHaveApplied: method === 'POST' });
      }
    });
  }

  private interpret(
    method: string,
    url: string,
    status: number,
    headers: Dispatcher.ResponseData['headers'],
    text: string,
    decode: (text: string) => unknown,
  ): { value: unknown } | Failure {
    const where = `${method} ${url} -> HTTP ${status}`;
    if (status >= 200 && status < 300) {
      const keyCheck = this.checkKey(headers[KEY_HEADER]);
      if (keyCheck) {
        return {
          retry: 'never',
          error: new ConnectorError(
            'config',
            keyCheck === 'missing'
              ? `The store at ${url} did not send this connection's key back (X-Channelsync-Key header). ` +
                  'The URL may point at another shop, or the store is not set up with this key yet.'
              : `The store at ${url} answered with a different key (X-Channelsync-Key header). ` +
                  "The URL may point at another shop, or the key set up in the store does not match this connection's key.",
            `${where}; response key header ${keyCheck}`,
          ),
        };
      }
      try {
        if (text.trim() === '') throw new Error('empty body');
        return { value: decode(text) };
      } catch {
        return {
          retry: 'idempotent',
          notJson: true,
          error: new ConnectorError(
            'invalid_data',
            `The store at ${url} did not answer with JSON. It returned: ${JSON.stringify(snippet(text))}` +
              (method === 'POST' ? '. The change may or may not have been applied.' : ''),
            `${where}; content-type ${String(headers['content-type'] ?? 'none')}; ${text.length} characters`,
          ),
        };
      }
    }
    const storeMessage = messageOf(text);
    const detail = `${where}: ${storeMessage}`;
    if (status >= 300 && status < 400) {
      const location = typeof headers.location === 'string' ? headers.location : 'another address';
      return {
        retry: 'never',
        error: new ConnectorError(
          'config',
          `The store redirects ${url} to ${location}. Enter the final address in the connection settings.`,
          detail,
        ),
      };
    }
    if (status === 401 || status === 403) {
      return {
        retry: 'never',
        error: new ConnectorError(
          'auth',
          `The store at ${url} refused this connection's key (HTTP ${status}). ` +
            'Check that the store is set up with the key shown for this connection.',
          detail,
        ),
      };
    }
    if (status === 404) {
      return {
        retry: 'never',
        error: new ConnectorError('not_found', `The store has nothing at ${url} (HTTP 404).`, detail),
      };
    }
    if (status === 429) {
      const waitMs = retryAfterMs(headers['retry-after']);
      return {
        retry: 'always',
        waitMs,
        error: new ConnectorError(
          'rate_limited',
          'The store is limiting how fast the hub may call it; the hub will try again later.',
          detail,
          waitMs ?? this.config.retryBaseMs,
        ),
      };
    }
    if (status >= 500) {
      const waitMs = status === 503 ? retryAfterMs(headers['retry-after']) : undefined;
      return {
        retry: 'idempotent',
        waitMs,
        error: new ConnectorError(
          'transient',
          method === 'POST' && status !== 503
            ? `The store failed while saving (HTTP ${status}); the change may or may not have been applied.`
            : `The store is having problems (HTTP ${status}); the hub will try again later.`,
          detail,
          waitMs,
        ),
      };
    }
    return {
      retry: 'never',
      error: new ConnectorError('invalid_data', `The store rejected the request (HTTP ${status}): ${storeMessage}`, detail),
    };
  }

  private checkKey(value: string | string[] | undefined): 'missing' | 'mismatched' | null {
    const got = Array.isArray(value) ? value[0] : value;
    if (got === undefined || got === '') return 'missing';
    const a = Buffer.from(got.trim());
    const b = Buffer.from(this.config.key);
    return a.length === b.length && timingSafeEqual(a, b) ? null : 'mismatched';
  }
}

function snippet(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** The store's own explanation from an error body, or the start of the body. */
function messageOf(text: string): string {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object') {
      for (const k of ['message', 'error', 'errors', 'detail']) {
        const v = (body as Record<string, unknown>)[k];
        if (typeof v === 'string' && v) return snippet(v);
        if (v !== undefined && v !== null) return snippet(JSON.stringify(v));
      }
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return snippet(text.trim()) || 'no explanation given';
}

