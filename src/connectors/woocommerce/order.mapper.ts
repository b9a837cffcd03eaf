import type { Address, Order, OrderStatus, Shipment } from '../../model/order.js';
import { Notices, readCurrency, readDate, readNumber, type Notice } from '../../model/normalize.js';

export interface WooMeta { id?: number; key: string; value: unknown }
export interface WooOrder {
  id: number;
  number: string;
  status: string;
  currency: string;
  date_created_gmt: string | null;
  date_modified_gmt: string | null;
  date_completed_gmt: string | null;
  total: string;
  shipping_total: string;
  total_tax: string;
  customer_id: number;
  customer_note: string;
  billing: Record<string, string>;
  shipping: Record<string, string>;
  line_items: Array<{ id: number; name: string; product_id: number; variation_id: number; sku: string; quantity: number; price: number | string; subtotal: string }>;
  meta_data: WooMeta[];
}

/** The WooCommerce Shipment Tracking extension's meta key: trackings the hub writes show up in its UI and emails. */
export const TRACKING_META = '_wc_shipment_tracking_items';
/** The universal status and number of an order, where WooCommerce's own cannot say it (delivered vs completed; the marketplace's number). */
export const STATUS_META = '_channelsync_status';
export const NUMBER_META = '_channelsync_number';

const STATUS: Record<string, OrderStatus> = {
  pending: 'pending', 'on-hold': 'pending', 'checkout-draft': 'pending', processing: 'paid', completed: 'shipped',
  cancelled: 'cancelled', failed: 'cancelled', refunded: 'refunded',
};
/** The WooCommerce status for each universal one. */
export const WOO_STATUS: Record<OrderStatus, string> = {
  pending: 'pending', paid: 'processing', shipped: 'completed', delivered: 'completed', cancelled: 'cancelled', refunded: 'refunded',
};

export type FromWooOrderResult =
  | { ok: true; externalId: string; record: Order; notices: Notice[] }
  | { ok: false; externalId: string | null; code: string; message: string };

/**
 * Reads a WooCommerce order into the universal order (a connection view: lines keep
 * WooCommerce's product id and variation id — the product's own id for a simple
 * product). Shipments come from the Shipment Tracking extension's meta data.
 *
 * @example
 * fromWooOrder({ id: 727, number: '727', status: 'processing', currency: 'USD', total: '29.35', line_items: [...], ... })
 * // { ok: true, externalId: '727', record: { number: '727', status: 'paid', totals: { total: 29.35, ... } ... } }
 */
export function fromWooOrder(raw: unknown): FromWooOrderResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, externalId: null, code: 'not_an_object', message: 'WooCommerce sent an order that is not an object.' };
  }
  const o = raw as WooOrder;
  if (typeof o.id !== 'number') return { ok: false, externalId: null, code: 'missing_id', message: 'WooCommerce sent an order without an id.' };
  const externalId = String(o.id);
  if (!Array.isArray(o.line_items)) return { ok: false, externalId, code: 'invalid_lines', message: `Order ${o.number ?? externalId}: line_items is not a list.` };
  const n = new Notices();
  const meta = new Map((o.meta_data ?? []).map((m) => [m.key, m.value]));
  let status = STATUS[o.status];
  if (!status) {
    status = 'pending';
    n.add('status_unknown', `status: "${o.status}" is not a WooCommerce status the hub knows; read as pending`, 'status');
  }
  const written = meta.get(STATUS_META);
  if (typeof written === 'string' && WOO_STATUS[written as OrderStatus] === o.status) status = written as OrderStatus;
  const num = (v: unknown, field: string) => readNumber(v, field, n);
  const trackings = Array.isArray(meta.get(TRACKING_META)) ? meta.get(TRACKING_META) as Array<Record<string, unknown>> : [];
  const shipments: Shipment[] = trackings.map((t) => ({
    carrier: String(t.tracking_provider ?? t.custom_tracking_provider ?? ''),
    trackingNumber: String(t.tracking_number ?? ''),
    labelUrl: String(t.custom_tracking_link ?? ''),
    date: t.date_shipped ? readDate(Number(t.date_shipped) * 1000, 'shipments.date', n) : null,
  }));
  const record: Order = {
    number: typeof meta.get(NUMBER_META) === 'string' ? meta.get(NUMBER_META) as string : String(o.number ?? externalId),
    status,
    dateCreated: readDate(gmt(o.date_created_gmt), 'date_created_gmt', n),
    dateClosed: readDate(gmt(o.date_completed_gmt), 'date_completed_gmt', n),
    currency: readCurrency(o.currency, 'currency', n),
    totals: { subtotal: null, shipping: num(o.shipping_total, 'shipping_total'), tax: num(o.total_tax, 'total_tax'), total: num(o.total, 'total') },
    lines: o.line_items.map((l) => ({
      sku: l.sku ?? '',
      title: l.name ?? '',
      quantity: Math.max(0, Math.trunc(Number(l.quantity) || 0)),
      unitPrice: num(l.price, 'line_items.price'),
      productId: String(l.product_id),
      variationId: String(l.variation_id || l.product_id),
    })),
    buyer: {
      id: o.customer_id ? String(o.customer_id) : '',
      email: o.billing?.email ?? '',
      phone: o.billing?.phone ?? '',
      firstName: o.billing?.first_name ?? '',
      lastName: o.billing?.last_name ?? '',
    },
    shippingAddress: address(o.shipping),
    billingAddress: address(o.billing),
    shipments,
    invoice: null,
    messages: [],
    notes: o.customer_note ?? '',
  };
  return { ok: true, externalId, record, notices: n.items };
}

export function toWooAddress(a: Address | null, buyer?: Order['buyer']): Record<string, string> {
  const [first, ...rest] = (a?.name ?? '').split(' ');
  return {
    first_name: buyer?.firstName || first || '', last_name: buyer?.lastName || rest.join(' '), company: a?.company ?? '',
    address_1: a?.street ?? '', address_2: a?.street2 ?? '', city: a?.city ?? '', state: a?.region ?? '', postcode: a?.postalCode ?? '',
    country: a?.country ?? '', phone: a?.phone || buyer?.phone || '', ...(buyer ? { email: buyer.email } : {}),
  };
}

function address(a: Record<string, string> | undefined): Address | null {
  if (!a || !Object.values(a).some((v) => v)) return null;
  return {
    name: [a.first_name, a.last_name].filter(Boolean).join(' '), company: a.company ?? '', street: a.address_1 ?? '', street2: a.address_2 ?? '',
    city: a.city ?? '', region: a.state ?? '', postalCode: a.postcode ?? '', country: a.country ?? '', phone: a.phone ?? '',
  };
}

function gmt(value: string | null | undefined): string | null {
  return value ? (/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`) : null;
}
