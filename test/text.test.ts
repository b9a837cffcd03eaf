import { describe, expect, it } from 'vitest';
import { cleanDeep, cleanText, shortText } from '../src/model/text.js';
import { jobErrorText, StoreError } from '../src/engine/job-errors.js';
import { ConnectorError } from '../src/connectors/types.js';

describe('text the database can hold', () => {
  it('drops NUL and control characters, keeps tabs and line breaks, replaces lone surrogates', () => {
    expect(cleanText('a\u0000b\u0007c\td\ne\r')).toBe('abc\td\ne\r');
    expect(cleanText('x\ud800y\udc00z \ud83d\ude00')).toBe('x\uFFFDy\uFFFDz \ud83d\ude00');
    expect(cleanText('plain')).toBe('plain');
  });

  it('short text is one line and capped', () => {
    const s = shortText(`line\none\u0000${'x'.repeat(1000)}`, 50);
    expect(s).toHaveLength(50);
    expect(s).toMatch(/^line one x+…$/);
  });

  it('cleans deep values, keys too, and says where', () => {
    const input = { title: 'ok', variations: [{ color: 'R\u0000ed' }], ['k\u0000']: 1 };
    const { value, cleaned } = cleanDeep(input);
    expect(value).toEqual({ title: 'ok', variations: [{ color: 'Red' }], k: 1 });
    expect(cleaned.map((c) => c.path)).toEqual(['variations.0.color']);
    const same = { a: ['b'] };
    expect(cleanDeep(same).value).toBe(same);
  });
});

describe('the error a failed job shows', () => {
  it('is a short sentence: never a statement, its parameters or the records', () => {
    const db = Object.assign(new Error(`Failed query: insert into records ... params: ${'{"title":"x"}'.repeat(10_000)}`), { cause: { code: '22P05' } });
    expect(jobErrorText(db)).toBe('The database refused a write; see the hub log for the details');
    const store = new StoreError('The database refused a write while storing page 3 of the products read from Shop; see the hub log', { cause: db });
    expect(jobErrorText(store)).toBe(store.message);
    const platform = new ConnectorError('invalid_data', `The store rejected the request (HTTP 400): ${'a\u0000'.repeat(5000)}`);
    expect(jobErrorText(platform).length).toBeLessThanOrEqual(500);
    expect(jobErrorText(platform)).not.toMatch(/\u0000/);
    expect(jobErrorText(new Error('boom\u0000'))).toBe('Unexpected error: boom ');
  });
});
