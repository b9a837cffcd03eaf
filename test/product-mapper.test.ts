import { describe, expect, it } from 'vitest';
import { fromStore, patchToStore, toStore } from '../src/connectors/custom/product.mapper.js';
import { Product } from '../src/model/product.js';

/** The PRODUCT example of the protocol document. */
const protocolExample = {
  _id: '100004777',
  sku: '100004777',
  title: 'EON618S JBL SUBWOOFER 18" AMPLIFICADO',
  url: '',
  brand: '',
  mpn: '',
  model: '',
  description: 'JBL Premium Transducers',
  tags: [{ value: '' }],
  variations: [
    {
      availabilities: [{ tag: 'default', quantity: '50' }],
      prices: [{ tag: 'default', currency: 'USD', number: '1060.51' }],
      images: [{ url: 'http://www.example.com/13080-thickbox/eon618s.jpg' }],
      videos: [{}],
      barcode: '',
      size: '',
      color: '',
    },
  ],
};

function ok(raw: unknown) {
  const result = fromStore(raw);
  if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.message}`);
  return result;
}

function notOk(raw: unknown) {
  const result = fromStore(raw);
  if (result.ok) throw new Error('expected the record to be rejected');
  return result;
}

describe('fromStore', () => {
  it('reads the protocol example: strings become numbers, empty tags and videos are dropped, position is the variation id', () => {
    const { externalId, record, notices } = ok(protocolExample);
    expect(externalId).toBe('100004777');
    expect(record).toEqual({
      sku: '100004777',
      title: 'EON618S JBL SUBWOOFER 18" AMPLIFICADO',
      description: 'JBL Premium Transducers',
      brand: '',
      mpn: '',
      model: '',
      url: '',
      tags: [],
      categories: [],
      status: 'published',
      deliveryDays: null,
      variations: [
        {
          id: '0',
          sku: '',
          barcode: '',
          size: '',
          color: '',
          images: ['http://www.example.com/13080-thickbox/eon618s.jpg'],
          videos: [],
          availabilities: [{ tag: 'default', quantity: 50 }],
          prices: [{ tag: 'default', currency: 'USD', amount: 1060.51 }],
        },
      ],
    });
    expect(notices).toEqual([]);
    // What it reads is a valid universal product.
    expect(Product.safeParse(record).success).toBe(true);
  });

  it('reads a non-ISO currency "MX" as MXN and says so', () => {
    const { record, notices } = ok({
      _id: 1,
      variations: [{ _id: 'v-1', sku: 'A', prices: [{ tag: 'default', currency: 'MX', number: 350 }] }],
    });
    expect(record.variations[0].prices).toEqual([{ tag: 'default', currency: 'MXN', amount: 350 }]);
    expect(notices).toContainEqual(
      expect.objectContaining({ code: 'currency_normalised', field: 'variations[0].prices[0].currency' }),
    );
  });

  it('keeps variation _id as id and numbers the others by position', () => {
    const { record } = ok({ _id: 'p', variations: [{ _id: 'x9', sku: 'A' }, { sku: 'B' }, { _id: 42 }] });
    expect(record.variations.map((v) => v.id)).toEqual(['x9', '1', '42']);
  });

  it('accepts a single variation object instead of a list', () => {
    const { record } = ok({ _id: 'p', variations: { sku: 'ONLY' } });
    expect(record.variations).toHaveLength(1);
    expect(record.variations[0]).toMatchObject({ id: '0', sku: 'ONLY' });
  });

  it('reads status, published, categories and delivery days', () => {
    expect(ok({ _id: 'a', published: false, variations: [] }).record.status).toBe('unpublished');
    expect(ok({ _id: 'a', status: 'draft', variations: [] }).record.status).toBe('unpublished');
    expect(ok({ _id: 'a', status: 'active', published: false, variations: [] }).record.status).toBe('published');
    const odd = ok({ _id: 'a', status: 'sort-of', variations: [] });
    expect(odd.record.status).toBe('published');
    expect(odd.notices).toContainEqual(expect.objectContaining({ code: 'status_unknown', field: 'status' }));
    const r = ok({ _id: 'a', categories: ['Audio', { value: 'Speakers' }, ''], deliveryDays: '3', variations: [] });
    expect(r.record.categories).toEqual(['Audio', 'Speakers']);
    expect(r.record.deliveryDays).toBe(3);
  });

  it('tolerates oddities with notices: numeric title, tags as a string, quantity "1,200", fractional quantity', () => {
    const { record, notices } = ok({
      _id: 'p',
      title: 12345,
      tags: 'sale',
      variations: [
        {
          availabilities: [
            { tag: 'north', quantity: '1,200' },
            { tag: '', quantity: 2.7 },
          ],
          prices: [{ tag: 'default', number: ' 19.90 ' }],
          images: ['https://cdn.example.com/a.jpg', { url: '' }, { nope: 1 }],
        },
      ],
    });
    expect(record.title).toBe('12345');
    expect(record.tags).toEqual([]);
    expect(record.variations[0].availabilities).toEqual([
      { tag: 'north', quantity: 1200 },
      { tag: 'default', quantity: 2 },
    ]);
    expect(record.variations[0].prices).toEqual([{ tag: 'default', currency: 'USD', amount: 19.9 }]);
    expect(record.variations[0].images).toEqual(['https://cdn.example.com/a.jpg']);
    const codes = notices.map((n) => n.code);
    expect(codes).toContain('list_invalid');
    expect(codes).toContain('quantity_fraction');
    expect(codes).toContain('currency_missing');
  });

  it('drops a price or quantity that is missing, with a notice', () => {
    const { record, notices } = ok({
      _id: 'p',
      variations: [{ availabilities: [{ tag: 'default', quantity: '' }], prices: [{ tag: 'default', currency: 'USD' }] }],
    });
    expect(record.variations[0].availabilities).toEqual([]);
    expect(record.variations[0].prices).toEqual([]);
    expect(notices.filter((n) => n.code === 'value_missing')).toHaveLength(2);
  });

  it('notes a product without variations', () => {
    const { record, notices } = ok({ _id: 'p', title: 'Gift card' });
    expect(record.variations).toEqual([]);
    expect(notices).toContainEqual(expect.objectContaining({ code: 'no_variations' }));
  });

  it('rejects what it cannot understand, naming the field', () => {
    expect(notOk('hello')).toMatchObject({ externalId: null, code: 'not_an_object' });
    expect(notOk([1, 2])).toMatchObject({ externalId: null, code: 'not_an_object' });
    expect(notOk({ sku: 'A1', variations: [] })).toMatchObject({ externalId: null, code: 'missing_id' });
    expect(notOk({ _id: '   ', variations: [] }).code).toBe('missing_id');

    const oops = notOk({ _id: '9', variations: 'oops' });
    expect(oops).toMatchObject({ externalId: '9', code: 'invalid_variations' });
    expect(oops.message).toContain('variations');
    expect(oops.message).toContain('"oops"');

    const entry = notOk({ _id: '9', variations: [{}, 'x'] });
    expect(entry.message).toContain('variations[1]');

    const lots = notOk({ _id: '9', variations: [{ availabilities: [{ tag: 'default', quantity: 'lots' }] }] });
    expect(lots).toMatchObject({ code: 'invalid_number' });
    expect(lots.message).toContain('variations[0].availabilities[0].quantity');

    const price = notOk({ _id: '9', variations: [{ prices: [{ currency: 'USD', number: 'ten' }] }] });
    expect(price.message).toContain('variations[0].prices[0].number');
  });
});

const product: Product = Product.parse({
  sku: 'TEE',
  title: 'Tee',
  description: 'Soft',
  brand: 'Acme',
  tags: ['summer', 'cotton'],
  categories: ['Tops'],
  status: 'unpublished',
  variations: [
    {
      id: 'v1',
      sku: 'TEE-S',
      size: 'S',
      color: 'Red',
      barcode: '7501234567893',
      images: ['https://cdn.example.com/tee-s.jpg'],
      availabilities: [{ tag: 'default', quantity: 5 }],
      prices: [{ tag: 'default', currency: 'MXN', amount: 199.5 }],
    },
    { sku: 'TEE-M', size: 'M', availabilities: [{ tag: 'default', quantity: 0 }] },
  ],
});

describe('toStore', () => {
  it('writes the protocol shape without the product _id', () => {
    const body = toStore(product);
    expect(body).not.toHaveProperty('_id');
    expect(body).toEqual({
      sku: 'TEE',
      title: 'Tee',
      url: '',
      brand: 'Acme',
      mpn: '',
      model: '',
      description: 'Soft',
      tags: [{ value: 'summer' }, { value: 'cotton' }],
      status: 'unpublished',
      categories: ['Tops'],
      variations: [
        {
          _id: 'v1',
          sku: 'TEE-S',
          barcode: '7501234567893',
          size: 'S',
          color: 'Red',
          availabilities: [{ tag: 'default', quantity: 5 }],
          prices: [{ tag: 'default', currency: 'MXN', number: 199.5 }],
          images: [{ url: 'https://cdn.example.com/tee-s.jpg' }],
          videos: [],
        },
        {
          sku: 'TEE-M',
          barcode: '',
          size: 'M',
          color: '',
          availabilities: [{ tag: 'default', quantity: 0 }],
          prices: [],
          images: [],
          videos: [],
        },
      ],
    });
  });

  it('round-trips through fromStore', () => {
    const back = ok({ _id: 'new', ...toStore(product) });
    expect(back.notices).toEqual([]);
    expect(back.record).toEqual({
      ...product,
      variations: [product.variations[0], { ...product.variations[1], id: '1' }],
    });
  });
});

describe('patchToStore', () => {
  it('holds only the changed fields, in store shape', () => {
    const body = patchToStore({
      fields: { title: 'New tee', tags: ['sale'] },
      variations: [
        { id: 'v1', index: 0, sku: 'TEE-S', changes: { prices: [{ tag: 'default', currency: 'MXN', amount: 149 }] } },
        { index: 1, sku: 'TEE-M', changes: { availabilities: [{ tag: 'default', quantity: 3 }], images: ['https://x/y.jpg'] } },
      ],
    });
    expect(body).toEqual({
      title: 'New tee',
      tags: [{ value: 'sale' }],
      variations: [
        { _id: 'v1', sku: 'TEE-S', prices: [{ tag: 'default', currency: 'MXN', number: 149 }] },
        { sku: 'TEE-M', availabilities: [{ tag: 'default', quantity: 3 }], images: [{ url: 'https://x/y.jpg' }] },
      ],
    });
  });

  it('sends a new variation whole and leaves out variations when none changed', () => {
    expect(patchToStore({ fields: { brand: 'Acme 2' }, variations: [] })).toEqual({ brand: 'Acme 2' });
    const body = patchToStore({
      fields: {},
      variations: [{ index: 2, sku: 'TEE-L', isNew: true, changes: { size: 'L', availabilities: [{ tag: 'default', quantity: 1 }] } }],
    });
    expect(body).toEqual({
      variations: [
        {
          sku: 'TEE-L',
          barcode: '',
          size: 'L',
          color: '',
          availabilities: [{ tag: 'default', quantity: 1 }],
          prices: [],
          images: [],
          videos: [],
        },
      ],
    });
  });
});
