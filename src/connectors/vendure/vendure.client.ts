import { createHash } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { ConnectorError, type ConnectorContext } from '../types.js';
import type { VendureConfig } from './config.js';
import { throwIfAborted } from '../abort.js';
import { retryAfterMs, retrying, transportFailure, type AttemptFailure } from '../retry.js';
import { contextReach } from '../reach.js';

const AUTH_HEADER = 'vendure-auth-token';
const CHANNEL_HEADER = 'vendure-token';
/** Longest wait the client sits out itself; a longer Retry-After goes back to the job layer. */
const MAX_WAIT_MS = 120_000;

/** One keep-alive pool per hub, through its address policy (src/connectors/reach.ts). */
function sharedAgent(ctx: ConnectorContext): Dispatcher {
  return contextReach(ctx).dispatcher({ connections: 32 });
}

/** Session tokens by login, so each job does not sign in again; dropped when Vendure stops accepting one. */
const sessions = new Map<string, string>();

export interface CallOptions {
  /** Whether repeating the call is harmless (reads, absolute price/stock writes). A create is not. */
  idempotent?: boolean;
  retries?: number;
}

interface GraphQLError {
  message: string;
  path?: unknown[];
  extensions?: { code?: string };
}

/** Why one attempt failed and whether another is allowed. */
interface Failure extends AttemptFailure {
  /** Vendure did not accept the session: sign in again. */
  forbidden?: boolean;
}

/**
 * The Vendure Admin API over GraphQL: signs in, sends the session token and
 * channel, re-signs in once when a session ends, retries what is safe to retry,
 * and turns every failure into a ConnectorError a merchant can act on.
 *
 * @example
 * const client = new VendureClient(config, ctx);
 * const { products } = await client.query<{ products: { totalItems: number } }>('{ products { totalItems } }');
 */
export class VendureClient {
  private token: string | null;
  private readonly sessionKey: string;

  constructor(
    readonly config: VendureConfig,
    private readonly ctx: ConnectorContext,
  ) {
    this.sessionKey = createHash('sha256')
      .update([config.adminApiUrl, config.channelToken ?? '', config.username ?? '', config.password ?? '', config.token ?? ''].join('\0'))
      .digest('base64url');
    this.token = config.token ?? sessions.get(this.sessionKey) ?? null;
  }

  get signal(): AbortSignal {
    return this.ctx.signal;
  }

  /** Runs a query or mutation and returns its `data`; GraphQL errors become ConnectorErrors. */
  async query<T>(document: string, variables: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<T> {
    if (this.token === null) await this.login();
    let relogged = false;
    for (;;) {
      try {
        return await this.send<T>(document, variables, opts);
      } catch (err) {
        const failure = err as Failure;
        if (!failure?.error) throw err;
        if (failure.forbidden && !relogged && this.canLogin()) {
          // A session expires or is revoked: sign in once more before telling anyone.
          relogged = true;
          sessions.delete(this.sessionKey);
          this.ctx.log.info('Vendure session no longer accepted, signing in again');
          await this.login();
          continue;
        }
        throw failure.error;
      }
    }
  }

  private canLogin(): boolean {
    return this.config.username !== undefined && this.config.password !== undefined;
  }

  private async login(): Promise<void> {
    if (!this.canLogin()) {
      this.token = this.config.token ?? null;
      return;
    }
    const result = await this.post<{ login: { __typename: string; id?: string; message?: string; errorCode?: string } }>(
      `mutation Login($username: String!, $password: String!) {
        login(username: $username, password: $password) {
          __typename
          ... on CurrentUser { id }
          ... on ErrorResult { errorCode message }
        }
      }`,
      { username: this.config.username, password: this.config.password },
      { idempotent: true },
      null,
    ).catch((err) => {
      throw (err as Failure)?.error ?? err;
    });
    const login = result.data.login;
    if (login?.__typename !== 'CurrentUser') {
      throw new ConnectorError(
        'auth',
        `Vendure refused the sign-in of "${this.config.username}": ${login?.errorCode === 'INVALID_CREDENTIALS_ERROR' ? 'the username or password is wrong' : login?.message ?? 'no reason given'}. ` +
          'Update the username and password in the connection settings.',
        `login: ${login?.errorCode ?? login?.__typename}: ${login?.message ?? ''}`,
      );
    }
    const token = result.token;
    if (!token) {
      throw new ConnectorError(
        'config',
        `Vendure accepted the sign-in but sent no session token. Its authOptions.tokenMethod must include "bearer" for the hub to connect.`,
        `login: no ${AUTH_HEADER} header`,
      );
    }
    this.token = token;
    sessions.set(this.sessionKey, token);
  }

  private async send<T>(document: string, variables: Record<string, unknown>, opts: CallOptions): Promise<T> {
    const { data } = await this.post<T>(document, variables, opts, this.token);
    return data;
  }

  /** One GraphQL POST with retries; throws a Failure (not an Error) so `query` can decide about signing in again. */
  private async post<T>(
    document: string, variables: Record<string, unknown>, opts: CallOptions, token: string | null,
  ): Promise<{ data: T; token: string | null }> {
    const { signal, log } = this.ctx;
    const url = this.config.adminApiUrl;
    const maxRetries = opts.retries ?? this.config.retries;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': 'channelsync',
    };
    if (token) headers.authorization = `Bearer ${token}`;
    if (this.config.channelToken) headers[CHANNEL_HEADER] = this.config.channelToken;
    const payload = JSON.stringify({ query: document, variables });
    const operation = /^\s*(query|mutation)?\s*(\w+)?/.exec(document)?.[2] ?? 'query';

    return retrying<{ data: T; token: string | null }, Failure>({
      retries: maxRetries, baseMs: this.config.retryBaseMs, maxWaitMs: MAX_WAIT_MS, idempotent: opts.idempotent === true, signal,
      // A Failure, not its error: `query` signs in again when Vendure no longer accepts the session.
      raise: (failure) => failure,
      onRetry: (failure, attempt, waitMs) => log.warn({ operation, attempt, waitMs, kind: failure.error.kind, detail: failure.error.detail },
        'Vendure request failed, retrying'),
    }, async () => {
      try {
        const res = await request(url, {
          method: 'POST', headers, body: payload, dispatcher: sharedAgent(this.ctx),
          headersTimeout: this.config.timeoutMs, bodyTimeout: this.config.timeoutMs, signal,
        });
        const text = await res.body.text();
        const outcome = this.interpret(operation, res.statusCode, res.headers, text);
        if (!('data' in outcome)) return outcome;
        const header = res.headers[AUTH_HEADER];
        return { value: { data: outcome.data as T, token: (Array.isArray(header) ? header[0] : header) ?? null } };
      } catch (err) {
        throwIfAborted(signal);
        if (err instanceof ConnectorError) return { error: err, retry: 'never' } satisfies Failure;
        return transportFailure(err, { name: 'Vendure', url, where: `POST ${url}`, timeoutMs: this.config.timeoutMs });
      }
    });
  }

  private interpret(
    operation: string, status: number, headers: Dispatcher.ResponseData['headers'], text: string,
  ): { data: unknown } | Failure {
    const url = this.config.adminApiUrl;
    const where = `${operation} -> HTTP ${status}`;
    if (status === 429) {
      const waitMs = retryAfterMs(headers['retry-after']);
      return {
        retry: 'always', waitMs,
        error: new ConnectorError('rate_limited', 'Vendure (or a proxy in front of it) is limiting how fast the hub may call it; the hub will try again later.',
          `${where}: ${snippet(text)}`, waitMs ?? this.config.retryBaseMs),
      };
    }
    let body: { data?: unknown; errors?: GraphQLError[] } | null = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    if (body === null || typeof body !== 'object') {
      if (status >= 500) {
        return {
          retry: 'idempotent', waitMs: status === 503 ? retryAfterMs(headers['retry-after']) : undefined,
          error: new ConnectorError('transient', `Vendure is not answering properly (HTTP ${status}); the hub will try again later.`,
            `${where}: ${snippet(text)}`),
        };
      }
      if (status === 404) {
        return { retry: 'never', error: new ConnectorError('config', `There is no Vendure Admin API at ${url} (HTTP 404). Check adminApiUrl (it usually ends in /admin-api).`, where) };
      }
      if (status === 401 || status === 403) {
        return { retry: 'never', error: new ConnectorError('auth', `Something in front of Vendure refused the hub (HTTP ${status}) at ${url}.`, `${where}: ${snippet(text)}`) };
      }
      return {
        retry: 'idempotent',
        error: new ConnectorError('invalid_data', `The address ${url} did not answer like a Vendure Admin API (HTTP ${status}, not JSON). It returned: ${JSON.stringify(snippet(text))}`,
          `${where}; content-type ${String(headers['content-type'] ?? 'none')}`),
      };
    }
    const errors = Array.isArray(body.errors) ? body.errors : [];
    if (errors.length > 0) return graphQLFailure(operation, errors, status);
    if (status >= 400 || body.data === undefined || body.data === null) {
      return {
        retry: status >= 500 ? 'idempotent' : 'never',
        error: new ConnectorError(status >= 500 ? 'transient' : 'invalid_data',
          `Vendure answered ${operation} without data (HTTP ${status}).`, `${where}: ${snippet(text)}`),
      };
    }
    return { data: body.data };
  }
}

function graphQLFailure(operation: string, errors: GraphQLError[], status: number): Failure {
  const first = errors[0];
  const code = first.extensions?.code ?? '';
  const messages = errors.map((e) => e.message).join('; ');
  const detail = `${operation} -> HTTP ${status}: ${code} ${messages}`;
  if (code === 'FORBIDDEN') {
    return {
      retry: 'never', forbidden: true,
      error: new ConnectorError('auth',
        'Vendure no longer accepts the hub\'s sign-in, or the administrator lacks a permission this needs (products: ReadCatalog and UpdateCatalog; orders: ReadOrder and UpdateOrder). ' +
          'Check the username, password and role in Vendure and in the connection settings.', detail),
    };
  }
  if (code === 'ENTITY_NOT_FOUND') return { retry: 'never', error: new ConnectorError('not_found', `Vendure: ${messages}`, detail) };
  if (code === 'CHANNEL_NOT_FOUND') {
    return { retry: 'never', error: new ConnectorError('config', `Vendure has no channel with the token set in this connection (channelToken).`, detail) };
  }
  if (code === 'GRAPHQL_VALIDATION_FAILED' || code === 'GRAPHQL_PARSE_FAILED' || (code === 'BAD_USER_INPUT' && /Cannot query field|Unknown/.test(messages))) {
    return {
      retry: 'never',
      error: new ConnectorError('config', `The Vendure at this address does not understand the hub's ${operation} request; it may be a version other than Vendure 3.`, detail),
    };
  }
  if (code === 'INTERNAL_SERVER_ERROR' || status >= 500) {
    return { retry: 'idempotent', error: new ConnectorError('transient', `Vendure failed while handling ${operation}: ${messages}`, detail) };
  }
  return { retry: 'never', error: new ConnectorError('invalid_data', `Vendure rejected ${operation}: ${messages}`, detail) };
}

function snippet(text: string): string {
  const t = text.trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

