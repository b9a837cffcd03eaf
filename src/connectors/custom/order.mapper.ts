import type { Address, Buyer, Invoice, Message, Order, OrderLine, OrderPatch, OrderStatus, Shipment } from '../../model/order.js';
import {
  describeValue,
  isObject,
  Notices,
  readCurrency,
  readDate,
  readId,
  readList,
  readNumber,
  readQuantity,
  readString,
  type Notice,
} from '../../model/normalize.js';

export type FromStoreOrderResult =
  | { ok: true; externalId: string; record: Order; notices: Notice[] }
  | { ok: false; externalId: string | null; code: string; message: string };

/** How the store spells each status; the first word is the one the hub writes. */
const STATUS_WORDS: Record<OrderStatus, string[]> = {
  pending: ['pending', 'new', 'created', 'open', 'on-hold', 'on_hold', 'onhold', 'awaiting_payment', 'unpaid', 'processing_payment'],
  paid: ['payed', 'paid', 'confirmed', 'processing', 'approved', 'ready_to_ship', 'accepted'],
  shipped: ['shipped', 'sent', 'in_transit', 'partially_shipped', 'fulfilled', 'dispatched'],
  delivered: ['delivered', 'completed', 'complete', 'closed', 'done'],
  cancelled: ['cancelled', 'canceled', 'failed', 'voided', 'void', 'rejected', 'expired'],
  refunded: ['refunded', 'returned', 'partially_refunded'],
};
const STATUS_BY_WORD = new Map<string, OrderStatus>();
for (const [status, words] of Object.entries(STATUS_WORDS) as Array<[OrderStatus, string[]]>) {
  for (const w of words) STATUS_BY_WORD.set(w, status);
}

/**
 * Reads one store order into the universal order (a connection view: lines keep the
 * store's product `_id` and `variation_id`). Non-ISO currencies, empty dates and
 * numbers sent as text are normalised and reported as notices, never a failure.
 *
 * @example
 * fromStoreOrder({ _id: '75554554546', orderid: '777777', status: 'payed', total: { amount: 350, currency: 'MX' },
 *   orderItems: [{ id: '7778545', variation_id: '0', quantity: '1', unitPrice: '350' }] })
 * // { ok: true, externalId: '75554554546', record: { number: '777777', status: 'paid', currency: 'MXN', ... },
 * //   notices: [{ code: 'currency_normalised', ... }, { code: 'numbers_as_text', ... }, ...] }
 */
export function fromStoreOrder(raw: unknown): FromStoreOrderResult {
  if (!isObject(raw)) {
    return { ok: false, externalId: null, code: 'not_an_object', message: `The order is ${describeValue(raw)}, not an object.` };
  }
  const externalId = readId(raw._id);
  if (externalId === null) {
    const number = readId(raw.orderid ?? raw.number);
    return {
      ok: false, externalId: null, code: 'missing_id',
      message: `The order has no _id${number ? ` (orderid "${number}")` : ''}.`,
    };
  }
  const n = new Notices();
  const asText = new Set<string>();
  const num = (value: unknown, field: string) => {
    if (typeof value === 'string' && value.trim() !== '') asText.add(field.replace(/\[\d+\]/g, '[]'));
    return readNumber(value, field, n);
  };

  let number = readString(raw.orderid ?? raw.number ?? raw.orderNumber, 'orderid', n).trim();
  if (number === '') {
    number = externalId;
    n.add('number_missing', `orderid: the order has no order number; its _id ${externalId} is used`, 'orderid');
  }
  const total = isObject(raw.total) ? raw.total : { amount: raw.total, currency: raw.currency };
  const items = readList(raw.orderItems ?? raw.items ?? raw.lines, 'orderItems', n);
  const firstItem = items.find(isObject);
  const currencyRaw = total.currency ?? raw.currency ?? firstItem?.currencyId ?? firstItem?.currency;
  const hasAmounts = !isBlank(total.amount) || items.some((i) => isObject(i) && !isBlank(i.unitPrice ?? i.unit_price ?? i.price));
  // An order without any amount (a bare fulfilment record) has no currency to worry about.
  const currency = isBlank(currencyRaw) && !hasAmounts ? 'USD' : readCurrency(currencyRaw, 'currency', n);

  const dateCreated = readDate(raw.dateCreated ?? raw.date_created ?? raw.createdAt, 'dateCreated', n);
  if (dateCreated === null && isBlank(raw.dateCreated ?? raw.date_created ?? raw.createdAt)) {
    n.add('date_missing', 'dateCreated: empty; the order has no creation date', 'dateCreated');
  }

  const lines: OrderLine[] = [];
  items.forEach((item, i) => {
    const field = `orderItems[${i}]`;
    if (!isObject(item)) {
      n.add('line_invalid', `${field}: expected an object, got ${describeValue(item)}; ignored`, field);
      return;
    }
    let quantity = readQuantity(item.quantity, `${field}.quantity`, n);
    if (typeof item.quantity === 'string' && item.quantity.trim() !== '') asText.add('orderItems[].quantity');
    if (quantity === null || quantity < 0) {
      n.add('line_quantity_invalid', `${field}.quantity: ${JSON.stringify(item.quantity ?? null)} is not a quantity; read as 0`, `${field}.quantity`);
      quantity = 0;
    }
    const line: OrderLine = {
      sku: readString(item.sku, `${field}.sku`, n).trim(),
      title: readString(item.title ?? item.name, `${field}.title`, n),
      quantity,
      unitPrice: num(item.unitPrice ?? item.unit_price ?? item.price, `${field}.unitPrice`),
    };
    const productId = readId(item.id ?? item.productId ?? item.product_id);
    if (productId !== null) line.productId = productId;
    const variationId = readId(item.variation_id ?? item.variationId);
    if (variationId !== null) line.variationId = variationId;
    lines.push(line);
  });

  const record: Order = {
    number,
    status: readStatus(raw.status, n),
    dateCreated,
    dateClosed: readDate(raw.dateClosed ?? raw.date_closed, 'dateClosed', n),
    currency,
    totals: {
      subtotal: num(raw.subtotal ?? (isObject(raw.total) ? raw.total.subtotal : undefined), 'subtotal'),
      shipping: num(raw.shippingCost ?? raw.shipping_cost ?? (isObject(raw.total) ? raw.total.shipping : undefined), 'shippingCost'),
      tax: num(raw.tax ?? (isObject(raw.total) ? raw.total.tax : undefined), 'tax'),
      total: num(total.amount, 'total.amount'),
    },
    lines,
    buyer: readBuyer(raw.buyer, n),
    shippingAddress: readAddress(raw.shippingAddress ?? raw.shipping_address, 'shippingAddress', n),
    billingAddress: readAddress(raw.billingAddress ?? raw.billing_address, 'billingAddress', n),
    shipments: readShipments(raw.shipments, n),
    invoice: readInvoice(raw.invoice, n),
    messages: readMessages(raw.messages, n),
    notes: readString(raw.notes ?? raw.note, 'notes', n),
  };
  for (const f of ['shippingMethod', 'paymentMethod', 'customerGroup'] as const) {
    const v = raw[f] === undefined || raw[f] === null ? '' : readString(raw[f], f, n);
    if (v !== '') record[f] = v;
  }
  if (asText.size > 0) {
    n.add('numbers_as_text', `${[...asText].join(', ')}: numbers sent as text were read as numbers`, 'numbers');
  }
  return { ok: true, externalId, record, notices: n.items };
}

/** The universal order (a view whose lines carry this store's ids) as a store order body for a create. */
export function toStoreOrder(order: Order): Record<string, unknown> {
  const body: Record<string, unknown> = {
    orderid: order.number,
    status: statusToStore(order.status),
    dateCreated: order.dateCreated ?? '',
    dateClosed: order.dateClosed ?? '',
    total: {
      amount: order.totals.total,
      currency: order.currency,
      ...(order.totals.subtotal !== null ? { subtotal: order.totals.subtotal } : {}),
      ...(order.totals.shipping !== null ? { shipping: order.totals.shipping } : {}),
      ...(order.totals.tax !== null ? { tax: order.totals.tax } : {}),
    },
    orderItems: order.lines.map((l) => ({
      id: l.productId ?? '',
      variation_id: l.variationId ?? '',
      sku: l.sku,
      ...(l.title ? { title: l.title } : {}),
      quantity: l.quantity,
      unitPrice: l.unitPrice,
      currencyId: order.currency,
    })),
    buyer: { ...order.buyer },
    shipments: order.shipments.map(shipmentToStore),
  };
  if (order.shippingAddress) body.shippingAddress = { ...order.shippingAddress };
  if (order.billingAddress) body.billingAddress = { ...order.billingAddress };
  if (order.invoice) body.invoice = { ...order.invoice };
  if (order.messages.length > 0) body.messages = order.messages.map((m) => ({ ...m }));
  if (order.notes) body.notes = order.notes;
  for (const f of ['shippingMethod', 'paymentMethod', 'customerGroup'] as const) if (order[f]) body[f] = order[f];
  return body;
}

/**
 * The body of an order update: only the fields that changed, in the store's words.
 *
 * @example
 * orderPatchToStore({ status: 'shipped', shipments: [{ carrier: 'DHL', trackingNumber: 'JD01', labelUrl: '', date: null }] })
 * // { status: 'shipped', shipments: [{ carrier: 'DHL', trackingNumber: 'JD01', labelUrl: '', date: '' }] }
 */
export function orderPatchToStore(patch: OrderPatch): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (patch.status !== undefined) body.status = statusToStore(patch.status);
  if (patch.dateClosed !== undefined) body.dateClosed = patch.dateClosed ?? '';
  if (patch.shipments !== undefined) body.shipments = patch.shipments.map(shipmentToStore);
  if (patch.invoice !== undefined) body.invoice = patch.invoice ? { ...patch.invoice } : null;
  if (patch.messages !== undefined) body.messages = patch.messages.map((m) => ({ ...m }));
  if (patch.notes !== undefined) body.notes = patch.notes;
  return body;
}

/** The protocol's word for a status ("payed" is the protocol's own spelling). */
export function statusToStore(status: OrderStatus): string {
  return STATUS_WORDS[status][0];
}

const shipmentToStore = (s: Shipment) => ({ carrier: s.carrier, trackingNumber: s.trackingNumber, labelUrl: s.labelUrl, date: s.date ?? '' });

// ---- reading -------------------------------------------------------------

function readStatus(value: unknown, n: Notices): OrderStatus {
  if (isBlank(value)) {
    n.add('status_missing', 'status: empty; read as pending', 'status');
    return 'pending';
  }
  const word = String(value).trim().toLowerCase().replace(/[\s-]+/g, '_');
  const status = STATUS_BY_WORD.get(word) ?? STATUS_BY_WORD.get(word.replace(/_/g, '-'));
  if (status) return status;
  n.add('status_unknown', `status: ${JSON.stringify(value)} is not a known order status; read as pending`, 'status');
  return 'pending';
}

function readBuyer(value: unknown, n: Notices): Buyer {
  const b = isObject(value) ? value : {};
  if (value !== undefined && value !== null && !isObject(value)) {
    n.add('buyer_invalid', `buyer: expected an object, got ${describeValue(value)}; ignored`, 'buyer');
  }
  return {
    id: readString(b.id, 'buyer.id', n),
    email: readString(b.email, 'buyer.email', n),
    phone: readString(b.phone, 'buyer.phone', n),
    firstName: readString(b.firstName ?? b.first_name, 'buyer.firstName', n),
    lastName: readString(b.lastName ?? b.last_name, 'buyer.lastName', n),
  };
}

function readAddress(value: unknown, field: string, n: Notices): Address | null {
  if (value === undefined || value === null || value === '') return null;
  if (!isObject(value)) {
    n.add('address_invalid', `${field}: expected an object, got ${describeValue(value)}; ignored`, field);
    return null;
  }
  const s = (v: unknown, f: string) => readString(v, `${field}.${f}`, n);
  return {
    name: s(value.name, 'name'),
    company: s(value.company, 'company'),
    street: s(value.street ?? value.address1 ?? value.line1, 'street'),
    street2: s(value.street2 ?? value.address2 ?? value.line2, 'street2'),
    city: s(value.city, 'city'),
    region: s(value.region ?? value.state ?? value.province, 'region'),
    postalCode: s(value.postalCode ?? value.zip ?? value.postcode, 'postalCode'),
    country: s(value.country, 'country'),
    phone: s(value.phone, 'phone'),
  };
}

function readShipments(value: unknown, n: Notices): Shipment[] {
  const out: Shipment[] = [];
  readList(value, 'shipments', n).forEach((s, i) => {
    const field = `shipments[${i}]`;
    if (!isObject(s)) {
      n.add('shipment_invalid', `${field}: expected an object, got ${describeValue(s)}; ignored`, field);
      return;
    }
    out.push({
      carrier: readString(s.carrier, `${field}.carrier`, n),
      trackingNumber: readString(s.trackingNumber ?? s.tracking_number ?? s.tracking, `${field}.trackingNumber`, n),
      labelUrl: readString(s.labelUrl ?? s.label_url, `${field}.labelUrl`, n),
      date: readDate(s.date, `${field}.date`, n),
    });
  });
  return out;
}

function readInvoice(value: unknown, n: Notices): Invoice | null {
  if (value === undefined || value === null || value === '') return null;
  if (!isObject(value)) {
    n.add('invoice_invalid', `invoice: expected an object, got ${describeValue(value)}; ignored`, 'invoice');
    return null;
  }
  return {
    number: readString(value.number, 'invoice.number', n),
    url: readString(value.url, 'invoice.url', n),
    date: readDate(value.date, 'invoice.date', n),
    taxId: readString(value.taxId ?? value.tax_id, 'invoice.taxId', n),
  };
}

function readMessages(value: unknown, n: Notices): Message[] {
  const out: Message[] = [];
  readList(value, 'messages', n).forEach((m, i) => {
    const field = `messages[${i}]`;
    if (typeof m === 'string') {
      out.push({ from: '', text: m, date: null });
    } else if (isObject(m)) {
      out.push({
        from: readString(m.from ?? m.author, `${field}.from`, n),
        text: readString(m.text ?? m.message ?? m.body, `${field}.text`, n),
        date: readDate(m.date, `${field}.date`, n),
      });
    } else {
      n.add('message_invalid', `${field}: expected a message, got ${describeValue(m)}; ignored`, field);
    }
  });
  return out;
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

