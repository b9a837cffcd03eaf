/**
 * Pulls from `source` ahead of the consumer, holding at most `limit` items, so the
 * next pages download while the current one is analysed. Errors surface in order,
 * after the items read before them; stopping the consumer stops the source.
 *
 * @example for await (const ev of readAhead(connector.read('products', null), 500)) ...
 */
export async function* readAhead<T>(source: AsyncIterable<T>, limit: number): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const buffer: T[] = [];
  let done = false;
  let failure: { error: unknown } | null = null;
  // Held in an object: TypeScript cannot see closures assign them and narrows plain lets to null.
  const waiters: { wake: (() => void) | null; space: (() => void) | null } = { wake: null, space: null };
  let stopped = false;

  const pump = (async () => {
    try {
      while (!stopped) {
        if (buffer.length >= limit) {
          await new Promise<void>((r) => { waiters.space = r; });
          continue;
        }
        const next = await it.next();
        if (next.done) break;
        buffer.push(next.value);
        waiters.wake?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      done = true;
      waiters.wake?.();
    }
  })();

  try {
    for (;;) {
      if (buffer.length > 0) {
        const item = buffer.shift()!;
        if (waiters.space) { const s = waiters.space; waiters.space = null; s(); }
        yield item;
        continue;
      }
      if (done) {
        if (failure) throw (failure as { error: unknown }).error;
        return;
      }
      await new Promise<void>((r) => { waiters.wake = r; });
      waiters.wake = null;
    }
  } finally {
    stopped = true;
    if (waiters.space) { const s = waiters.space; waiters.space = null; s(); }
    await it.return?.(undefined);
    await pump.catch(() => undefined);
  }
}
