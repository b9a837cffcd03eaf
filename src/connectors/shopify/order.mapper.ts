import type { Address, Order, OrderStatus } from '../../model/order.js';
import { Notices, readCurrency, readDate, readNumber, type Notice } from '../../model/normalize.js';

type Money = { shopMoney: { amount: string } } | null;
type ShopifyAddress = { name: string | null; company: string | null; address1: string | null; address2: string | null; city: string | null; province: string | null; zip: string | null; countryCodeV2: string | null; phone: string | null } | null;
export interface ShopifyOrder {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  cancelledAt: string | null;
  closedAt: string | null;
  displayFinancialStatus: string | null;
  displayFulfillmentStatus: string;
  currencyCode: string;
  email: string | null;
  phone: string | null;
  note: string | null;
  totalPriceSet: Money; subtotalPriceSet: Money; totalShippingPriceSet: Money; totalTaxSet: Money;
  customer: { id: string; firstName: string | null; lastName: string | null; email: string | null; phone: string | null } | null;
  shippingAddress: ShopifyAddress;
  billingAddress: ShopifyAddress;
  lineItems: { nodes: Array<{ id: string; sku: string | null; title: string; quantity: number; originalUnitPriceSet: Money; variant: { id: string; product: { id: string } } | null }> };
  fulfillments: Array<{ status: string; trackingInfo: Array<{ company: string | null; number: string | null; url: string | null }> }>;
  fulfillmentOrders?: { nodes: Array<{ id: string; status: string }> };
}

export type FromShopifyOrderResult =
  | { ok: true; externalId: string; record: Order; notices: Notice[] }
  | { ok: false; externalId: string | null; code: string; message: string };

/**
 * Reads a Shopify order into the universal order (lines keep Shopify's product and
 * variant gids); the status comes from cancellation, the financial and the
 * fulfilment status; each fulfilment's tracking is a shipment.
 *
 * @example
 * fromShopifyOrder({ id: 'gid://shopify/Order/1', name: '#1001', displayFinancialStatus: 'PAID', displayFulfillmentStatus: 'UNFULFILLED', ... })
 * // { ok: true, record: { number: '#1001', status: 'paid', ... } }
 */
export function fromShopifyOrder(raw: unknown): FromShopifyOrderResult {
  if (typeof raw !== 'object' || raw === null) return { ok: false, externalId: null, code: 'not_an_object', message: 'Shopify sent an order that is not an object.' };
  const o = raw as ShopifyOrder;
  if (typeof o.id !== 'string') return { ok: false, externalId: null, code: 'missing_id', message: 'Shopify sent an order without an id.' };
  if (!Array.isArray(o.lineItems?.nodes)) return { ok: false, externalId: o.id, code: 'invalid_lines', message: `Order ${o.name}: lineItems is missing.` };
  const n = new Notices();
  const money = (m: Money, field: string) => (m?.shopMoney ? readNumber(m.shopMoney.amount, field, n) : null);
  const status: OrderStatus = o.cancelledAt ? 'cancelled'
    : o.displayFinancialStatus === 'REFUNDED' ? 'refunded'
      : o.displayFulfillmentStatus === 'FULFILLED' ? 'shipped'
        : ['PAID', 'PARTIALLY_REFUNDED', 'PARTIALLY_PAID'].includes(o.displayFinancialStatus ?? '') ? 'paid' : 'pending';
  const record: Order = {
    number: o.name,
    status,
    dateCreated: readDate(o.createdAt, 'createdAt', n),
    dateClosed: readDate(o.cancelledAt ?? o.closedAt, 'closedAt', n),
    currency: readCurrency(o.currencyCode, 'currencyCode', n),
    totals: {
      subtotal: money(o.subtotalPriceSet, 'subtotalPriceSet'), shipping: money(o.totalShippingPriceSet, 'totalShippingPriceSet'),
      tax: money(o.totalTaxSet, 'totalTaxSet'), total: money(o.totalPriceSet, 'totalPriceSet'),
    },
    lines: o.lineItems.nodes.map((l) => ({
      sku: l.sku ?? '', title: l.title ?? '', quantity: l.quantity, unitPrice: money(l.originalUnitPriceSet, 'originalUnitPriceSet'),
      ...(l.variant ? { productId: l.variant.product.id, variationId: l.variant.id } : {}),
    })),
    buyer: {
      id: o.customer?.id ?? '', email: o.email ?? o.customer?.email ?? '', phone: o.phone ?? o.customer?.phone ?? '',
      firstName: o.customer?.firstName ?? '', lastName: o.customer?.lastName ?? '',
    },
    shippingAddress: address(o.shippingAddress),
    billingAddress: address(o.billingAddress),
    shipments: (o.fulfillments ?? []).filter((f) => f.status !== 'CANCELLED').flatMap((f) => f.trackingInfo.map((t) => ({
      carrier: t.company ?? '', trackingNumber: t.number ?? '', labelUrl: t.url ?? '', date: null,
    }))),
    invoice: null,
    messages: [],
    notes: o.note ?? '',
  };
  return { ok: true, externalId: o.id, record, notices: n.items };
}

function address(a: ShopifyAddress): Address | null {
  if (!a) return null;
  return {
    name: a.name ?? '', company: a.company ?? '', street: a.address1 ?? '', street2: a.address2 ?? '', city: a.city ?? '',
    region: a.province ?? '', postalCode: a.zip ?? '', country: a.countryCodeV2 ?? '', phone: a.phone ?? '',
  };
}
