import type { Order, OrderPatch, Shipment } from '../../model/order.js';
import type { Notice } from '../../model/normalize.js';
import { ConnectorError, type WriteAck } from '../types.js';
import type { VendureClient } from './vendure.client.js';
import { fromVendureOrder, type VendureOrder } from './order.mapper.js';
import type { ShopContext } from './product.mapper.js';
import { ADD_FULFILLMENT, CANCEL_ORDER, ORDER_BY_ID, TRANSITION_FULFILLMENT } from './queries.js';

type Result = { __typename: string; id?: string; state?: string; errorCode?: string; message?: string };

/**
 * Writes fulfilment back to a Vendure order: a shipment becomes a fulfilment of the
 * lines not yet fulfilled (manual-fulfillment handler: carrier as method, tracking
 * code), a shipped or delivered status moves the fulfilments on, a cancellation
 * cancels the order. Orders are not created in Vendure by the hub.
 *
 * @example
 * await new OrderWriter(client, shop).update('3', { status: 'shipped', shipments: [{ carrier: 'DHL', trackingNumber: 'JD01', labelUrl: '', date: null }] }, order);
 */
export class OrderWriter {
  constructor(
    private readonly client: VendureClient,
    private readonly shop: ShopContext,
  ) {}

  async create(record: Order): Promise<WriteAck<Order>> {
    throw new ConnectorError('invalid_data',
      `Vendure takes orders from its own checkout; the hub does not create orders there (order ${record.number}). Turn off absorbing orders on this connection.`,
      'orders create not supported');
  }

  async update(externalId: string, patch: OrderPatch, record: Order): Promise<WriteAck<Order>> {
    let order = await this.read(externalId);
    const notices: Notice[] = [];
    if (patch.status === 'cancelled' && order.state !== 'Cancelled') {
      await this.mutate(CANCEL_ORDER, { input: { orderId: externalId, cancelShipping: true, reason: 'Cancelled on another channel (channelsync)' } }, 'cancelOrder', record);
      return this.ack(externalId, notices);
    }
    const known = new Set((order.fulfillments ?? []).filter((f) => f.state !== 'Cancelled').map((f) => f.trackingCode ?? ''));
    const shipments = (patch.shipments ?? record.shipments).filter((s) => !known.has(s.trackingNumber));
    const wantsShipped = patch.status === 'shipped' || patch.status === 'delivered';
    if (shipments.length === 0 && wantsShipped && (order.fulfillments ?? []).every((f) => f.state === 'Cancelled')) {
      shipments.push({ carrier: 'Shipped', trackingNumber: '', labelUrl: '', date: null });
    }
    for (const s of shipments) {
      const lines = unfulfilled(order);
      if (lines.length === 0) {
        notices.push({ code: 'nothing_to_fulfil', message: `Every line of order ${record.number} is already fulfilled in Vendure; shipment ${s.trackingNumber || s.carrier} not added`, field: 'shipments' });
        continue;
      }
      await this.mutate(ADD_FULFILLMENT, { input: { lines, handler: fulfilmentHandler(s) } }, 'addFulfillmentToOrder', record);
      order = await this.read(externalId);
    }
    if (wantsShipped) {
      const steps = patch.status === 'delivered' ? ['Shipped', 'Delivered'] : ['Shipped'];
      for (const f of order.fulfillments ?? []) {
        for (const state of steps) {
          if (f.state === 'Cancelled' || f.state === state || (state === 'Shipped' && f.state === 'Delivered')) continue;
          const r = await this.mutate(TRANSITION_FULFILLMENT, { id: f.id, state }, 'transitionFulfillmentToState', record);
          f.state = r.state ?? state;
        }
      }
    }
    if (patch.status === 'refunded') {
      notices.push({ code: 'status_not_written', message: `Refunds are made in Vendure's admin; order ${record.number} was not refunded by the hub`, field: 'status' });
    }
    return this.ack(externalId, notices);
  }

  private async read(id: string): Promise<VendureOrder> {
    const { order } = await this.client.query<{ order: VendureOrder | null }>(ORDER_BY_ID, { id }, { idempotent: true });
    if (!order) throw new ConnectorError('not_found', `The order with id ${id} no longer exists in Vendure.`, `order ${id}`);
    return order;
  }

  private async mutate(document: string, variables: Record<string, unknown>, field: string, record: Order): Promise<Result> {
    const data = await this.client.query<Record<string, Result>>(document, variables);
    const result = data[field];
    if (result?.errorCode) {
      throw new ConnectorError('invalid_data', `Vendure refused to update order ${record.number}: ${result.message}`, `${field}: ${result.errorCode}`);
    }
    return result;
  }

  private async ack(id: string, notices: Notice[]): Promise<WriteAck<Order>> {
    const mapped = fromVendureOrder(await this.read(id), this.shop);
    if (mapped.ok) return { externalId: id, record: mapped.record, notices: [...mapped.notices, ...notices] };
    return { externalId: id, record: null, notices: [...notices, { code: mapped.code, message: mapped.message }] };
  }
}

/** Lines with quantities not yet in a (non-cancelled) fulfilment. */
function unfulfilled(order: VendureOrder): Array<{ orderLineId: string; quantity: number }> {
  const done = new Map<string, number>();
  for (const f of order.fulfillments ?? []) {
    if (f.state === 'Cancelled') continue;
    for (const l of f.lines) done.set(String(l.orderLineId), (done.get(String(l.orderLineId)) ?? 0) + l.quantity);
  }
  return order.lines
    .map((l) => ({ orderLineId: String(l.id), quantity: l.quantity - (done.get(String(l.id)) ?? 0) }))
    .filter((l) => l.quantity > 0);
}

function fulfilmentHandler(s: Shipment) {
  return {
    code: 'manual-fulfillment',
    arguments: [
      { name: 'method', value: s.carrier || 'Shipped' },
      { name: 'trackingCode', value: s.trackingNumber },
    ],
  };
}
