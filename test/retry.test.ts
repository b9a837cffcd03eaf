import { describe, expect, it } from 'vitest';
import { retrying, transportFailure, type AttemptFailure, type RetryPolicy } from '../src/connectors/retry.js';
import { ConnectorError } from '../src/connectors/types.js';

/** The shared retry loop of every platform client, on scripted attempts (no waiting: the backoff base is 1 ms). */
const policy = (over: Partial<RetryPolicy<AttemptFailure>> = {}) => {
  const retries: number[] = [];
  return {
    retries,
    policy: {
      retries: 3, baseMs: 1, maxWaitMs: 1000, idempotent: true, signal: new AbortController().signal,
      onRetry: (_f: AttemptFailure, attempt: number) => { retries.push(attempt); },
      ...over,
    } satisfies RetryPolicy<AttemptFailure>,
  };
};
const fail = (retry: AttemptFailure['retry'], waitMs?: number): AttemptFailure =>
  ({ retry, waitMs, error: new ConnectorError('transient', `failed (${retry})`) });

describe('retrying', () => {
  it('repeats a failure that may be retried until an attempt answers', async () => {
    const { policy: p, retries } = policy();
    let n = 0;
    const value = await retrying(p, async () => (++n < 3 ? fail('idempotent') : { value: 'ok' }));
    expect(value).toBe('ok');
    expect(n).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  it('gives up after the configured retries with the last error', async () => {
    const { policy: p } = policy({ retries: 2 });
    let n = 0;
    await expect(retrying(p, async () => { n++; return fail('always'); })).rejects.toThrow('failed (always)');
    expect(n).toBe(3);
  });

  it('never repeats a call that is not idempotent unless the platform did not get it', async () => {
    const { policy: p } = policy({ idempotent: false });
    let n = 0;
    await expect(retrying(p, async () => { n++; return fail('idempotent'); })).rejects.toThrow('failed (idempotent)');
    expect(n).toBe(1);
    let m = 0;
    expect(await retrying(p, async () => (++m < 2 ? fail('always') : { value: m }))).toBe(2);
  });

  it('stops at once on a failure marked never, and on a wait longer than the client sits out', async () => {
    const { policy: p } = policy();
    let n = 0;
    await expect(retrying(p, async () => { n++; return fail('never'); })).rejects.toThrow('failed (never)');
    expect(n).toBe(1);
    let m = 0;
    await expect(retrying(p, async () => { m++; return fail('always', 5000); })).rejects.toThrow('failed (always)');
    expect(m).toBe(1);
  });

  it('honours a custom end, wait and what is thrown', async () => {
    const waits: number[] = [];
    const { policy: p } = policy({
      exhausted: (_f, attempt) => attempt >= 1,
      wait: () => 2,
      onRetry: (_f, _a, w) => { waits.push(w); },
      raise: (f) => ({ raised: f.error.message }),
    });
    await expect(retrying(p, async () => fail('always'))).rejects.toEqual({ raised: 'failed (always)' });
    expect(waits).toEqual([2]);
  });

  it('stops waiting and throws the reason when the job is paused', async () => {
    const ctl = new AbortController();
    const { policy: p } = policy({ signal: ctl.signal, wait: () => 500 });
    const pause = new Error('paused');
    setTimeout(() => ctl.abort(pause), 20);
    const started = Date.now();
    await expect(retrying(p, async () => fail('always'))).rejects.toBe(pause);
    expect(Date.now() - started).toBeLessThan(400);
  });
});

describe('transportFailure', () => {
  const at = { name: 'the store', url: 'http://shop.test', where: 'POST /products', timeoutMs: 5000, mayHaveApplied: true };
  const coded = (code: string, nested = false) => {
    const e = Object.assign(new Error('socket'), { code });
    return nested ? Object.assign(new TypeError('fetch failed'), { cause: e }) : e;
  };

  it('retries a request that never left always, and says where', () => {
    const f = transportFailure(coded('ECONNREFUSED', true), at);
    expect(f.retry).toBe('always');
    expect(f.error.kind).toBe('transient');
    expect(f.error.message).toBe('The hub could not reach the store at http://shop.test.');
    expect(f.error.detail).toContain('POST /products: ECONNREFUSED');
  });

  it('retries a timeout or a cut connection only where repeating is harmless, and says a change may have happened', () => {
    const t = transportFailure(coded('UND_ERR_HEADERS_TIMEOUT'), at);
    expect(t.retry).toBe('idempotent');
    expect(t.error.message).toBe('The store at http://shop.test did not answer within 5 s. The change may or may not have been applied.');
    const c = transportFailure(coded('ECONNRESET'), { ...at, name: 'Vendure', mayHaveApplied: false });
    expect(c.retry).toBe('idempotent');
    expect(c.error.message).toBe('The connection to Vendure at http://shop.test was interrupted.');
  });

  it('treats an error without a network code as the hub\'s own bug, not retried', () => {
    const f = transportFailure(new TypeError('x is not a function'), at);
    expect(f.retry).toBe('never');
    expect(f.error.kind).toBe('bug');
  });
});
