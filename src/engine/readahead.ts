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
  let wake: (() => void) | null = null;
  let space: (() => void) | null = null;
  let stopped = false;

  const pump = (async () => {
    try {
      while (!stopped) {
        if (buffer.length >= limit) {
          await new Promise<void>((r) => { space = r; });
          continue;
        }
        const next = await it.next();
        if (next.done) break;
        buffer.push(next.value);
        wake?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      done = true;
      wake?.();
    }
  })();

  try {
    for (;;) {
      if (buffer.length > 0) {
        const item = buffer.shift()!;
        if (space) { const s = space; space = null; s(); }
        yield item;
        continue;
      }
      if (done) {
        if (failure) throw (failure as { error: unknown }).error;
        return;
      }
      await new Promise<void>((r) => { wake = r; });
      wake = null;
    }
  } finally {
    stopped = true;
    if (space) { const s = space; space = null; s(); }
    await it.return?.(undefined);
    await pump.catch(() => undefined);
  }
}
