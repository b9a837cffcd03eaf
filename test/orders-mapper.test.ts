import { describe, expect, it } from 'vitest';
import { fromStoreOrder, orderPatchToStore, toStoreOrder } from '../src/connectors/custom/order.mapper.js';
import { Order } from '../src/model/order.js';
import { Product } from '../src/model/product.js';
import { ConnectionSettings } from '../src/model/settings.js';
import { diffOrder } from '../src/engine/orders/diff.js';
import { project } from '../src/engine/rules.js';

const codes = (r: ReturnType<typeof fromStoreOrder>) => (r.ok ? r.notices.map((n) => n.code).sort() : []);

describe('custom order mapper: reading', () => {
  it('reads the protocol example, normalising "MX", empty dates and numbers as text with notices', () => {
    const r = fromStoreOrder({
      _id: '75554554546', orderid: '777777', status: 'payed', dateCreated: '', dateClosed: '',
      total: { amount: 350, currency: 'MX' },
      orderItems: [{ id: '7778545', variation_id: '0', quantity: '1', unitPrice: '350', currencyId: 'MX' }],
      buyer: { id: '4578889', email: 'testbuyer@example.com', phone: '88888888', firstName: 'John', lastName: 'Doe' },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.externalId).toBe('75554554546');
    expect(Order.parse(r.record)).toEqual(r.record);
    expect(r.record).toMatchObject({
      number: '777777', status: 'paid', dateCreated: null, dateClosed: null, currency: 'MXN',
      totals: { total: 350, subtotal: null },
      lines: [{ productId: '7778545', variationId: '0', quantity: 1, unitPrice: 350, sku: '' }],
      buyer: { id: '4578889', email: 'testbuyer@example.com', phone: '88888888', firstName: 'John', lastName: 'Doe' },
      shipments: [], messages: [], shippingAddress: null, invoice: null,
    });
    expect(codes(r)).toEqual(['currency_normalised', 'date_missing', 'numbers_as_text']);
    const text = r.notices.find((n) => n.code === 'numbers_as_text')!.message;
    expect(text).toContain('orderItems[].quantity');
    expect(text).toContain('orderItems[].unitPrice');
    expect(r.notices.find((n) => n.code === 'currency_normalised')!.message).toContain('"MX"');
  });

  it('reads the statuses stores use, and keeps an unknown one as pending with a warning', () => {
    const status = (s: unknown) => {
      const r = fromStoreOrder({ _id: '1', orderid: 'A', status: s, dateCreated: '2026-01-01' });
      return r.ok ? [r.record.status, codes(r)] : null;
    };
    expect(status('payed')).toEqual(['paid', []]);
    expect(status('Shipped')).toEqual(['shipped', []]);
    expect(status('completed')).toEqual(['delivered', []]);
    expect(status('canceled')).toEqual(['cancelled', []]);
    expect(status('on-hold')).toEqual(['pending', []]);
    expect(status('in transit')).toEqual(['shipped', []]);
    expect(status('lost in space')).toEqual(['pending', ['status_unknown']]);
    expect(status('')).toEqual(['pending', ['status_missing']]);
  });

  it('refuses only what cannot be an order, and names why', () => {
    expect(fromStoreOrder('nope')).toMatchObject({ ok: false, externalId: null, code: 'not_an_object' });
    const noId = fromStoreOrder({ orderid: '42' });
    expect(noId).toMatchObject({ ok: false, code: 'missing_id' });
    expect(noId.ok ? '' : noId.message).toContain('42');
    const noNumber = fromStoreOrder({ _id: 99, dateCreated: '2026-01-01' });
    expect(noNumber).toMatchObject({ ok: true, externalId: '99', record: { number: '99' } });
    expect(codes(noNumber)).toContain('number_missing');
  });

  it('keeps every line of an order with one bad line, and says what was wrong', () => {
    const r = fromStoreOrder({
      _id: '5', orderid: 'B-5', status: 'payed', dateCreated: '2026-01-01T10:00:00Z', total: '12.5', currency: 'usd',
      orderItems: [
        { id: 'p1', variation_id: 'v1', quantity: 'lots', unitPrice: 5 },
        'garbage',
        { id: 'p2', variation_id: 0, sku: 'SKU-2', title: 'Mug', quantity: 2.7, unitPrice: '3.75' },
      ],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.record.currency).toBe('USD');
    expect(r.record.totals.total).toBe(12.5);
    expect(r.record.dateCreated).toBe('2026-01-01T10:00:00.000Z');
    expect(r.record.lines).toEqual([
      { productId: 'p1', variationId: 'v1', sku: '', title: '', quantity: 0, unitPrice: 5 },
      { productId: 'p2', variationId: '0', sku: 'SKU-2', title: 'Mug', quantity: 2, unitPrice: 3.75 },
    ]);
    expect(codes(r)).toEqual(['currency_normalised', 'line_invalid', 'line_quantity_invalid', 'number_invalid', 'numbers_as_text', 'quantity_fraction']);
    expect(r.notices.find((n) => n.code === 'line_quantity_invalid')!.field).toBe('orderItems[0].quantity');
    expect(r.notices.find((n) => n.code === 'line_invalid')!.field).toBe('orderItems[1]');
  });

  it('reads fulfilment, addresses, invoice and messages in the spellings stores use', () => {
    const r = fromStoreOrder({
      _id: '9', orderid: 'C-9', status: 'shipped', dateCreated: '2026-03-01',
      shipments: [{ carrier: 'UPS', tracking_number: '1Z999', label_url: 'https://l/1', date: '2026-03-02' }],
      shipping_address: { name: 'Ana', address1: 'Calle 1', zip: '28001', state: 'Madrid', city: 'Madrid', country: 'ES' },
      billingAddress: 'same',
      invoice: { number: 'F-1', tax_id: 'ESB123' },
      messages: ['hello', { author: 'shop', message: 'shipped today', date: '2026-03-02' }],
      note: 'fragile',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.record).toMatchObject({
      shipments: [{ carrier: 'UPS', trackingNumber: '1Z999', labelUrl: 'https://l/1', date: '2026-03-02T00:00:00.000Z' }],
      shippingAddress: { name: 'Ana', street: 'Calle 1', postalCode: '28001', region: 'Madrid', country: 'ES' },
      billingAddress: null,
      invoice: { number: 'F-1', taxId: 'ESB123', url: '', date: null },
      messages: [{ from: '', text: 'hello', date: null }, { from: 'shop', text: 'shipped today', date: '2026-03-02T00:00:00.000Z' }],
      notes: 'fragile',
    });
    expect(codes(r)).toEqual(['address_invalid']);
    expect(codes(fromStoreOrder({ _id: '1', orderid: 'A', status: 'payed', dateCreated: '2026-01-01', total: 5 }))).toEqual(['currency_missing']);
  });
});

describe('custom order mapper: writing', () => {
  const full = Order.parse({
    number: 'M1-7', status: 'shipped', dateCreated: '2026-01-05T10:00:00.000Z', currency: 'EUR',
    totals: { subtotal: 30, shipping: 5, tax: 6.3, total: 41.3 },
    lines: [{ productId: 'p1', variationId: 'p1-2', sku: 'S-1', title: 'Tee', quantity: 2, unitPrice: 15 }],
    buyer: { id: 'b1', email: 'a@b.c', firstName: 'A', lastName: 'B' },
    shippingAddress: { name: 'A B', street: 'S 1', city: 'C', postalCode: '1', country: 'DE' },
    shipments: [{ carrier: 'DHL', trackingNumber: 'T1', labelUrl: '', date: '2026-01-06T00:00:00.000Z' }],
    invoice: { number: 'I-1', url: 'https://i/1', date: null, taxId: '' },
    messages: [{ from: 'buyer', text: 'hi', date: null }],
    notes: 'n',
  });

  it('writes an order the reader reads back unchanged', () => {
    const body = toStoreOrder(full);
    expect(body).toMatchObject({ orderid: 'M1-7', status: 'shipped', total: { amount: 41.3, currency: 'EUR', tax: 6.3 } });
    const back = fromStoreOrder({ ...body, _id: 'x1' });
    expect(back).toMatchObject({ ok: true, record: full });
    expect(back.ok && back.notices).toEqual([]);
  });

  it('writes only the changed fields of an update, in the protocol words', () => {
    expect(orderPatchToStore({ status: 'paid' })).toEqual({ status: 'payed' });
    expect(orderPatchToStore({ status: 'shipped', shipments: [{ carrier: 'DHL', trackingNumber: 'T', labelUrl: '', date: null }] }))
      .toEqual({ status: 'shipped', shipments: [{ carrier: 'DHL', trackingNumber: 'T', labelUrl: '', date: '' }] });
  });
});

describe('order diff and reserved stock', () => {
  const base = Order.parse({ number: 'X', status: 'paid', lines: [{ sku: 'A', quantity: 1 }] });

  it('sees only fulfilment fields, whatever the key order, and only those a connection takes', () => {
    const reordered = JSON.parse(JSON.stringify({ ...base, shipments: [{ trackingNumber: 'T', carrier: 'UPS', date: null, labelUrl: '' }] }));
    const next = { ...base, shipments: [{ carrier: 'UPS', trackingNumber: 'T', labelUrl: '', date: null }] };
    expect(diffOrder(next, reordered).changes).toEqual([]);
    const moved = { ...next, status: 'shipped' as const, notes: 'x', lines: [], buyer: { ...base.buyer, email: 'z' } };
    expect(diffOrder(moved, next).changes.map((c) => c.path)).toEqual(['status', 'notes']);
    expect(diffOrder(moved, next, (f) => f !== 'notes').patch).toEqual({ status: 'shipped' });
  });

  it('takes reservations off the default location first, never below zero, before the buffer', () => {
    const product = Product.parse({
      sku: 'P', variations: [
        { sku: 'A', availabilities: [{ tag: 'north', quantity: 4 }, { tag: 'default', quantity: 3 }] },
        { sku: '', availabilities: [{ tag: 'default', quantity: 2 }] },
        { sku: 'C', availabilities: [{ tag: 'default', quantity: 5 }] },
      ],
    });
    const settings = ConnectionSettings.parse({ stock: { buffer: 1 } });
    const out = project(product, settings, new Map([['A', 5], ['#1', 9]]));
    expect(out.variations[0].availabilities).toEqual([{ tag: 'north', quantity: 1 }, { tag: 'default', quantity: 0 }]);
    expect(out.variations[1].availabilities).toEqual([{ tag: 'default', quantity: 0 }]);
    expect(out.variations[2].availabilities).toEqual([{ tag: 'default', quantity: 4 }]);
    expect(project(product, ConnectionSettings.parse({}), new Map())).toBe(product);
    expect(product.variations[0].availabilities[1].quantity).toBe(3);
  });
});
