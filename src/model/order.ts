import { z } from 'zod';

/**
 * The universal sales order: what the hub stores for an order and what every
 * connector maps to and from. In a connection's view (what its connector reads or
 * writes) each line carries that platform's own `productId` / `variationId`; in the
 * hub record a line carries the hub product record it was matched to instead.
 *
 * @example
 * { number: '777777', status: 'paid', dateCreated: '2026-01-05T10:00:00.000Z', currency: 'MXN',
 *   totals: { subtotal: null, shipping: null, tax: null, total: 350 },
 *   lines: [{ sku: 'NW-TS-000001-S-BLK', title: '', quantity: 1, unitPrice: 350 }], ... }
 */
export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses after which an order no longer holds stock. */
export const RELEASING_STATUSES: readonly OrderStatus[] = ['cancelled', 'refunded'];
/**
 * The only statuses in which an order newly read may hold stock: one the source reports
 * shipped or delivered has left a warehouse whose stock already counts it.
 */
export const HOLDING_STATUSES: readonly OrderStatus[] = ['pending', 'paid'];

export const Address = z.object({
  name: z.string().default(''),
  company: z.string().default(''),
  street: z.string().default(''),
  street2: z.string().default(''),
  city: z.string().default(''),
  region: z.string().default(''),
  postalCode: z.string().default(''),
  country: z.string().default(''),
  phone: z.string().default(''),
});
export type Address = z.infer<typeof Address>;

export const Buyer = z.object({
  id: z.string().default(''),
  email: z.string().default(''),
  phone: z.string().default(''),
  firstName: z.string().default(''),
  lastName: z.string().default(''),
});
export type Buyer = z.infer<typeof Buyer>;

export const Shipment = z.object({
  carrier: z.string().default(''),
  trackingNumber: z.string().default(''),
  labelUrl: z.string().default(''),
  date: z.string().nullable().default(null),
});
export type Shipment = z.infer<typeof Shipment>;

export const Invoice = z.object({
  number: z.string().default(''),
  url: z.string().default(''),
  date: z.string().nullable().default(null),
  taxId: z.string().default(''),
});
export type Invoice = z.infer<typeof Invoice>;

export const Message = z.object({
  from: z.string().default(''),
  text: z.string().default(''),
  date: z.string().nullable().default(null),
});
export type Message = z.infer<typeof Message>;

export const OrderLine = z.object({
  /** The variation's SKU in hub terms; '' when the line could not be matched. */
  sku: z.string().default(''),
  title: z.string().default(''),
  quantity: z.number().int().nonnegative(),
  unitPrice: z.number().finite().nullable().default(null),
  /** Hub record only: the product record the line was matched to. */
  productRecordId: z.string().optional(),
  /** Hub record only: which of its variations, as reservations name it (its SKU, or `#position` when it has none). */
  variationKey: z.string().optional(),
  /** Connection view only: the platform's product id and variation id (or position). */
  productId: z.string().optional(),
  variationId: z.string().optional(),
});
export type OrderLine = z.infer<typeof OrderLine>;

export const Totals = z.object({
  subtotal: z.number().finite().nullable().default(null),
  shipping: z.number().finite().nullable().default(null),
  tax: z.number().finite().nullable().default(null),
  total: z.number().finite().nullable().default(null),
});
export type Totals = z.infer<typeof Totals>;

export const Order = z.object({
  number: z.string().min(1),
  status: z.enum(ORDER_STATUSES).default('pending'),
  /** ISO 8601, or null when the platform did not say. */
  dateCreated: z.string().nullable().default(null),
  dateClosed: z.string().nullable().default(null),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code such as USD').default('USD'),
  totals: Totals.default({ subtotal: null, shipping: null, tax: null, total: null }),
  lines: z.array(OrderLine).default([]),
  buyer: Buyer.default({ id: '', email: '', phone: '', firstName: '', lastName: '' }),
  shippingAddress: Address.nullable().default(null),
  billingAddress: Address.nullable().default(null),
  shipments: z.array(Shipment).default([]),
  invoice: Invoice.nullable().default(null),
  messages: z.array(Message).default([]),
  notes: z.string().default(''),
  /** Set where the platform has them, or by a connection's order defaults when an order is forwarded there. */
  shippingMethod: z.string().optional(),
  paymentMethod: z.string().optional(),
  customerGroup: z.string().optional(),
});
export type Order = z.infer<typeof Order>;

/**
 * The order fields that move after an order exists on several connections:
 * fulfilment (status, shipments, tracking) from the fulfilling connection back to
 * the marketplace, a cancellation from the marketplace to the fulfiller. Lines,
 * totals, buyer and addresses are written once, when the order is created.
 */
export const ORDER_UPDATE_FIELDS = ['status', 'dateClosed', 'shipments', 'invoice', 'messages', 'notes'] as const;
export type OrderUpdateField = (typeof ORDER_UPDATE_FIELDS)[number];

/** Order fields as named by connection settings (`settings.fields`); `status` is shared with products. */
export const ORDER_SETTINGS_FIELDS = ['status', 'shipments', 'invoice', 'messages', 'notes'] as const;
export type OrderSettingsField = (typeof ORDER_SETTINGS_FIELDS)[number];

/** The settings field that governs an order field (dateClosed moves with the status). */
export const ORDER_FIELD_SETTING: Record<OrderUpdateField, OrderSettingsField> = {
  status: 'status', dateClosed: 'status', shipments: 'shipments', invoice: 'invoice', messages: 'messages', notes: 'notes',
};

/** Only what changed, for an order update. */
export type OrderPatch = Partial<Pick<Order, OrderUpdateField>>;
