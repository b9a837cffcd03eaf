import type { Order } from '../../model/order.js';
import type { ConnectionSettings } from '../../model/settings.js';

/** Statuses of an order not yet fulfilled: the ones a default status stands in for. */
const OPEN = new Set<Order['status']>(['pending', 'paid']);

/**
 * An order as a connection receives it when forwarded there, with the connection's
 * order defaults (settings.orderDefaults): an open order (pending or paid) arrives in
 * the default status, and the note, shipping method, payment method label and
 * customer group fill what the order does not say itself. Used for the create and
 * for every comparison afterwards, so a default is never "corrected" back.
 *
 * @example
 * projectOrder({ ...order, status: 'paid' }, { orderDefaults: { status: 'pending', paymentMethod: 'Marketplace' } })
 * // { ...order, status: 'pending', paymentMethod: 'Marketplace' }
 */
export function projectOrder(order: Order, settings: Pick<ConnectionSettings, 'orderDefaults'>): Order {
  const d = settings.orderDefaults;
  if (!d) return order;
  const out: Order = { ...order };
  if (d.status && OPEN.has(order.status)) out.status = d.status;
  if (d.note && !order.notes) out.notes = d.note;
  for (const f of ['shippingMethod', 'paymentMethod', 'customerGroup'] as const) if (d[f] && !order[f]) out[f] = d[f];
  return out;
}
