import type { Address, Order, OrderLine, OrderStatus, Shipment } from '../../model/order.js';
import { Notices, readCurrency, readDate, type Notice } from '../../model/normalize.js';
import { fromMinor, isObject, type ShopContext } from './product.mapper.js';

export interface VendureOrderLine {
  id: string;
  quantity: number;
  unitPriceWithTax: number;
  productVariant: { id: string; sku: string; name: string; productId: string } | null;
}
export interface VendureFulfillment {
  id: string;
  state: string;
  method: string;
  trackingCode: string | null;
  createdAt: string;
  lines: Array<{ orderLineId: string; quantity: number }>;
}
export interface VendureOrder {
  id: string;
  code: string;
  state: string;
  orderPlacedAt: string | null;
  createdAt: string;
  updatedAt: string;
  currencyCode: string;
  subTotalWithTax: number;
  shippingWithTax: number;
  total: number;
  totalWithTax: number;
  customer: { id: string; firstName: string; lastName: string; emailAddress: string; phoneNumber: string | null } | null;
  shippingAddress: VendureAddress | null;
  billingAddress: VendureAddress | null;
  lines: VendureOrderLine[];
  fulfillments: VendureFulfillment[] | null;
}
interface VendureAddress {
  fullName?: string | null; company?: string | null; streetLine1?: string | null; streetLine2?: string | null; city?: string | null;
  province?: string | null; postalCode?: string | null; countryCode?: string | null; phoneNumber?: string | null;
}

export type FromVendureOrderResult =
  | { ok: true; externalId: string; record: Order; notices: Notice[] }
  | { ok: false; externalId: string | null; code: string; message: string };

/** Vendure's default order process, in universal statuses. */
const STATES: Record<string, OrderStatus> = {
  Created: 'pending', Draft: 'pending', AddingItems: 'pending', ArrangingPayment: 'pending', PaymentAuthorized: 'pending',
  PaymentSettled: 'paid', Modifying: 'paid', ArrangingAdditionalPayment: 'paid',
  PartiallyShipped: 'shipped', Shipped: 'shipped', PartiallyDelivered: 'delivered', Delivered: 'delivered',
  Cancelled: 'cancelled',
};

/**
 * Reads one Vendure order into the universal order (a connection view: each line
 * keeps Vendure's product id and variant id). Amounts are integers in minor units,
 * with tax; fulfilments become shipments (method as carrier, tracking code).
 *
 * @example
 * fromVendureOrder({ id: '3', code: 'ABC123', state: 'PaymentSettled', currencyCode: 'USD', totalWithTax: 2490, lines: [...] }, shop)
 * // { ok: true, externalId: '3', record: { number: 'ABC123', status: 'paid', totals: { total: 24.9, ... }, ... } }
 */
export function fromVendureOrder(raw: unknown, shop: ShopContext): FromVendureOrderResult {
  if (!isObject(raw)) return { ok: false, externalId: null, code: 'not_an_object', message: 'Vendure sent an order that is not an object.' };
  const externalId = typeof raw.id === 'string' || typeof raw.id === 'number' ? String(raw.id) : null;
  if (externalId === null) return { ok: false, externalId: null, code: 'missing_id', message: 'Vendure sent an order without an id.' };
  const o = raw as unknown as VendureOrder;
  if (!Array.isArray(o.lines)) {
    return { ok: false, externalId, code: 'invalid_lines', message: `Order ${o.code ?? externalId}: lines is not a list.` };
  }
  const n = new Notices();
  const money = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? fromMinor(v, shop.priceDecimals) : null);
  let status = STATES[o.state];
  if (!status) {
    status = 'pending';
    n.add('status_unknown', `status: Vendure state "${o.state}" is not one the hub knows; read as pending`, 'status');
  }
  const lines: OrderLine[] = o.lines.filter((l) => isObject(l) && l.quantity > 0).map((l) => ({
    sku: l.productVariant?.sku ?? '',
    title: l.productVariant?.name ?? '',
    quantity: l.quantity,
    unitPrice: money(l.unitPriceWithTax),
    ...(l.productVariant ? { productId: String(l.productVariant.productId), variationId: String(l.productVariant.id) } : {}),
  }));
  const shipments: Shipment[] = (o.fulfillments ?? [])
    .filter((f) => isObject(f) && f.state !== 'Cancelled')
    .sort((a, b) => Number(a.id) - Number(b.id))
    .map((f) => ({ carrier: f.method ?? '', trackingNumber: f.trackingCode ?? '', labelUrl: '', date: readDate(f.createdAt, 'shipments.date', n) }));
  const total = money(o.totalWithTax);
  const record: Order = {
    number: o.code || externalId,
    status,
    dateCreated: readDate(o.orderPlacedAt ?? o.createdAt, 'dateCreated', n),
    dateClosed: status === 'delivered' || status === 'cancelled' ? readDate(o.updatedAt, 'dateClosed', n) : null,
    currency: readCurrency(o.currencyCode, 'currency', n, shop.defaultCurrency),
    totals: {
      subtotal: money(o.subTotalWithTax),
      shipping: money(o.shippingWithTax),
      tax: total !== null && money(o.total) !== null ? Math.round((total - money(o.total)!) * 100) / 100 : null,
      total,
    },
    lines,
    buyer: {
      id: o.customer?.id ? String(o.customer.id) : '',
      email: o.customer?.emailAddress ?? '',
      phone: o.customer?.phoneNumber ?? '',
      firstName: o.customer?.firstName ?? '',
      lastName: o.customer?.lastName ?? '',
    },
    shippingAddress: address(o.shippingAddress),
    billingAddress: address(o.billingAddress),
    shipments,
    invoice: null,
    messages: [],
    notes: '',
  };
  return { ok: true, externalId, record, notices: n.items };
}

function address(raw: VendureAddress | null | undefined): Address | null {
  if (!isObject(raw) || !Object.values(raw).some((v) => typeof v === 'string' && v !== '')) return null;
  const a = raw as VendureAddress;
  return {
    name: a.fullName ?? '', company: a.company ?? '', street: a.streetLine1 ?? '', street2: a.streetLine2 ?? '',
    city: a.city ?? '', region: a.province ?? '', postalCode: a.postalCode ?? '', country: a.countryCode ?? '', phone: a.phoneNumber ?? '',
  };
}
