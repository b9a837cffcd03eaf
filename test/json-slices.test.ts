import { describe, expect, it } from 'vitest';
import { splitListing } from '../src/connectors/custom/json-slices.js';
import { rawFingerprint, textFingerprint } from '../src/connectors/custom/product.mapper.js';

const products = [
  { _id: '1', title: 'Brace { and ] bracket [ in a "quoted" title', tags: [{ value: 'a' }], variations: [{ _id: '1-1', prices: [] }] },
  { _id: '2', title: 'Back\\slash \\" and unicode é ✓', nested: { products: [{ _id: 'not me' }] } },
  { _id: '3', variations: [] },
];

/** Just the element texts, or null when the page could not be taken apart. */
const arrayElementTexts = (text: string, key: string) => splitListing(text, key, '_id')?.elements.map((e) => e.text) ?? null;

describe('splitListing: each listed product as the store wrote it', () => {
  it('finds every element of a compact page, whatever else the page holds', () => {
    const text = JSON.stringify({ paging: { itemsTotal: 3, note: '"products": [' }, products });
    const slices = arrayElementTexts(text, 'products');
    expect(slices).toEqual(products.map((p) => JSON.stringify(p)));
  });

  it('finds them in a pretty-printed page, with the key before the paging', () => {
    const text = JSON.stringify({ products, paging: { itemsTotal: 3 } }, null, 2);
    const slices = arrayElementTexts(text, 'products');
    expect(slices?.map((s: string) => JSON.parse(s))).toEqual(products);
  });

  it('answers an empty list with no elements', () => {
    expect(arrayElementTexts('{"paging":{},"products":[ ]}', 'products')).toEqual([]);
  });

  it('gives up (null) when it cannot be sure which text is which product', () => {
    // The key twice at the top: JSON.parse keeps the last one.
    expect(arrayElementTexts('{"products":[{"_id":"1"}],"products":[{"_id":"2"}]}', 'products')).toBeNull();
    // No such key, or only deeper down.
    expect(arrayElementTexts('{"items":[{"_id":"1"}]}', 'products')).toBeNull();
    expect(arrayElementTexts('{"paging":{"products":[{"_id":"1"}]}}', 'products')).toBeNull();
    // Not a list of objects.
    expect(arrayElementTexts('{"products":[1,2]}', 'products')).toBeNull();
    expect(arrayElementTexts('{"products":["a"]}', 'products')).toBeNull();
    expect(arrayElementTexts('{"products":[[{"_id":"1"}]]}', 'products')).toBeNull();
    expect(arrayElementTexts('{"products":{"_id":"1"}}', 'products')).toBeNull();
    // The key's value is not the list; another key's is.
    expect(arrayElementTexts('{"products":"none","other":[{"_id":"1"}]}', 'products')).toBeNull();
    // Not an object at the top.
    expect(arrayElementTexts('[{"products":[{"_id":"1"}]}]', 'products')).toBeNull();
  });

  it('fingerprints a compact product text exactly as the parsed product, so what the hub holds still matches', () => {
    const text = JSON.stringify({ paging: { itemsTotal: 3 }, products });
    const slices = arrayElementTexts(text, 'products')!;
    expect(slices.map(textFingerprint)).toEqual(products.map(rawFingerprint));
    // Any change to the product changes its fingerprint.
    expect(textFingerprint(slices[0].replace('"a"', '"b"'))).not.toBe(rawFingerprint(products[0]));
  });
  it('finds each element\'s own id, as JSON text, and leaves an envelope that parses to the rest of the page', () => {
    const text = '{"paging":{"itemsTotal":3},"products":[{"title":"x","_id":"a\\"b","variations":[{"_id":"v"}]}, {"_id":7} ,{"sku":"none"}],"after":true}';
    const split = splitListing(text, 'products', '_id')!;
    expect(split.elements.map((e) => e.idText)).toEqual(['"a\\"b"', '7', null]);
    expect(split.elements.map((e) => JSON.parse(e.text)._id)).toEqual(['a"b', 7, undefined]);
    expect(JSON.parse(split.envelope)).toEqual({ paging: { itemsTotal: 3 }, products: [], after: true });
    // The last of two ids wins, as with JSON.parse.
    expect(splitListing('{"products":[{"_id":"1","_id":"2"}]}', 'products', '_id')!.elements[0].idText).toBe('"2"');
  });

  it('gives up on a list whose separators are not JSON, rather than guess where a product ends', () => {
    for (const text of [
      '{"products":[{"_id":"1"}{"_id":"2"}]}',
      '{"products":[{"_id":"1"},,{"_id":"2"}]}',
      '{"products":[,{"_id":"1"}]}',
      '{"products":[{"_id":"1"},]}',
      '{"products":[{"_id":"1"]}',
      '{"products":[{"_id":"1"}',
      '{"paging": {"itemsTotal": ',
      'not json at all',
    ]) expect(splitListing(text, 'products', '_id'), text).toBeNull();
  });

  it('locates but does not judge what is inside a product: that is checked when the product is parsed', () => {
    const split = splitListing('{"products":[{"_id":"1","title":oops},{"_id":"2"}]}', 'products', '_id')!;
    expect(split.elements.map((e) => e.text)).toEqual(['{"_id":"1","title":oops}', '{"_id":"2"}']);
    expect(() => JSON.parse(split.elements[0].text)).toThrow();
  });
});
