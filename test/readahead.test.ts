import { describe, expect, it } from 'vitest';
import { readAhead } from '../src/engine/readahead.js';

async function* numbers(n: number, log: number[], failAt = -1) {
  for (let i = 0; i < n; i++) {
    if (i === failAt) throw new Error(`broken at ${i}`);
    await new Promise((r) => setTimeout(r, 1));
    log.push(i);
    yield i;
  }
}

describe('readAhead', () => {
  it('yields every item in order', async () => {
    const out: number[] = [];
    for await (const x of readAhead(numbers(50, []), 5)) out.push(x);
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('reads ahead while the consumer is busy, never more than the limit', async () => {
    const produced: number[] = [];
    const it = readAhead(numbers(100, produced), 10)[Symbol.asyncIterator]();
    await it.next();
    await new Promise((r) => setTimeout(r, 100));
    expect(produced.length).toBeGreaterThan(5);
    expect(produced.length).toBeLessThanOrEqual(12);
    await it.return!(undefined);
  });

  it('surfaces an error after the items read before it', async () => {
    const out: number[] = [];
    await expect((async () => { for await (const x of readAhead(numbers(10, [], 4), 3)) out.push(x); })()).rejects.toThrow('broken at 4');
    expect(out).toEqual([0, 1, 2, 3]);
  });

  it('stops the source when the consumer stops', async () => {
    const produced: number[] = [];
    for await (const x of readAhead(numbers(1000, produced), 4)) if (x === 2) break;
    await new Promise((r) => setTimeout(r, 50));
    expect(produced.length).toBeLessThan(10);
  });
});
