import { ConnectorError } from './types.js';
import { sleep, throwIfAborted } from './abort.js';

/** The longest wait between two attempts at a platform call. */
export const MAX_BACKOFF_MS = 30_000;

/** Exponential backoff with jitter: between half and all of `baseMs * 2^attempt`, at most `maxMs`. */
export function backoff(attempt: number, baseMs: number, maxMs = MAX_BACKOFF_MS): number {
  const ceiling = Math.min(baseMs * 2 ** attempt, maxMs);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** `Retry-After` as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw) * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Whether another attempt is allowed: 'always' (the platform did not process the request), 'idempotent' (only if repeating it is harmless), 'never'. */
export type RetryWhen = 'always' | 'idempotent' | 'never';

/** Why one attempt at a platform call failed, and whether another attempt is allowed. */
export interface AttemptFailure {
  error: ConnectorError;
  retry: RetryWhen;
  /** What the platform asked to wait (Retry-After, a rate-limit allowance); else the backoff. */
  waitMs?: number;
}

export interface RetryPolicy<F extends AttemptFailure> {
  /** Retries after the first attempt. */
  retries: number;
  /** The backoff's first step. */
  baseMs: number;
  /** The longest wait the client sits out itself; a longer one ends the call (the job layer retries later). */
  maxWaitMs: number;
  /** Whether repeating the call after a lost answer is harmless (never for a create). */
  idempotent: boolean;
  signal: AbortSignal;
  /** Before each retry, for the log. */
  onRetry(failure: F, attempt: number, waitMs: number): void;
  /** The wait before the next attempt, when the platform asks for more than the backoff (e.g. a floor). */
  wait?(failure: F, attempt: number): number;
  /** True when the attempts are used up; by default after `retries` retries. */
  exhausted?(failure: F, attempt: number, waitMs: number): boolean;
  /** What is thrown when giving up; by default the failure's error. */
  raise?(failure: F): unknown;
}

/**
 * Runs `attempt` until it answers `{ value }`, or its failure may not be retried, the
 * retries are used up or the platform asks for a longer wait than the client sits out.
 * Waits between attempts with backoff (or what the platform asked) and stops at once
 * when the job is paused or cancelled. The one retry loop of every platform client.
 *
 * @example
 * const body = await retrying({ retries: 3, baseMs: 500, maxWaitMs: 120_000, idempotent: true, signal, onRetry: log },
 *   async () => interpret(await request(url, { signal })));
 */
export async function retrying<T, F extends AttemptFailure = AttemptFailure>(
  policy: RetryPolicy<F>, attempt: (n: number) => Promise<{ value: T } | F>,
): Promise<T> {
  for (let n = 0; ; n++) {
    throwIfAborted(policy.signal);
    const outcome = await attempt(n);
    if ('value' in outcome) return outcome.value;
    const allowed = outcome.retry === 'always' || (outcome.retry === 'idempotent' && policy.idempotent);
    const waitMs = policy.wait?.(outcome, n) ?? outcome.waitMs ?? backoff(n, policy.baseMs);
    const exhausted = policy.exhausted ? policy.exhausted(outcome, n, waitMs) : n >= policy.retries;
    if (!allowed || exhausted || waitMs > policy.maxWaitMs) throw policy.raise ? policy.raise(outcome) : outcome.error;
    policy.onRetry(outcome, n + 1, waitMs);
    await sleep(waitMs, policy.signal);
  }
}

/** Errors where the request never reached the platform, so repeating it cannot duplicate anything. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * A call that got no answer: never sent (always safe to repeat), or timed out or cut off
 * (repeated only where that is harmless, since the platform may have done it). An error
 * without a network code is the hub's own: a bug, not retried.
 *
 * @example
 * transportFailure(err, { name: 'Vendure', url, where: 'POST /admin-api', timeoutMs: 30_000 })
 * // { retry: 'always', error: ConnectorError('transient', 'The hub could not reach Vendure at …') }
 */
export function transportFailure(
  err: unknown, at: { name: string; url: string; where: string; timeoutMs: number; mayHaveApplied?: boolean },
): AttemptFailure {
  // The hub's own refusal (an address the policy forbids, src/connectors/reach.ts): never retried, said as is.
  const own = connectorErrorIn(err);
  if (own) return { retry: 'never', error: own };
  const code = errorCode(err);
  const detail = `${at.where}: ${code ?? ''} ${err instanceof Error ? err.message : String(err)}`.trim();
  const Name = at.name.charAt(0).toUpperCase() + at.name.slice(1);
  if (code === undefined) return { retry: 'never', error: new ConnectorError('bug', `The hub failed to call ${at.name}.`, detail) };
  if (NOT_SENT.has(code)) return { retry: 'always', error: new ConnectorError('transient', `The hub could not reach ${at.name} at ${at.url}.`, detail) };
  const maybe = at.mayHaveApplied ? ' The change may or may not have been applied.' : '';
  if (TIMEOUTS.has(code)) {
    return {
      retry: 'idempotent',
      error: new ConnectorError('transient', `${Name} at ${at.url} did not answer within ${Math.round(at.timeoutMs / 1000)} s.${maybe}`, detail),
    };
  }
  return { retry: 'idempotent', error: new ConnectorError('transient', `The connection to ${at.name} at ${at.url} was interrupted.${maybe}`, detail) };
}

function connectorErrorIn(err: unknown): ConnectorError | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 3 && e && typeof e === 'object'; depth++) {
    if (e instanceof ConnectorError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The network error code of an error or of its causes (undici wraps them). */
function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 3 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
