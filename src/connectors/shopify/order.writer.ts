import type { Order, OrderPatch } from '../../model/order.js';
import type { Notice } from '../../model/normalize.js';
import { ConnectorError, type WriteAck } from '../types.js';
import { ShopifyClient } from './shopify.client.js';
import { fromShopifyOrder, type ShopifyOrder } from './order.mapper.js';
import { FULFILLMENT_CREATE, ORDER_BY_ID, ORDER_CANCEL } from './queries.js';

/**
 * Writes fulfilment back to a Shopify order: a new shipment fulfils the order's open
 * fulfillment orders with its tracking (company, number, url) and notifies the
 * customer; a cancellation cancels it (restocking, no refund). Orders are not
 * created in Shopify by the hub.
 *
 * @example
 * await new OrderWriter(client).update('gid://shopify/Order/1', { shipments: [{ carrier: 'UPS', trackingNumber: '1Z…', labelUrl: '', date: null }] }, order);
 */
export class OrderWriter {
  constructor(private readonly client: ShopifyClient) {}

  async create(record: Order): Promise<WriteAck<Order>> {
    throw new ConnectorError('invalid_data',
      `Shopify takes orders from its own checkout; the hub does not create orders there (order ${record.number}). Turn off absorbing orders on this connection.`,
      'orders create not supported');
  }

  async update(externalId: string, patch: OrderPatch, record: Order): Promise<WriteAck<Order>> {
    const order = await this.read(externalId);
    const notices: Notice[] = [];
    if (patch.status === 'cancelled' && !order.cancelledAt) {
      const r = await this.client.query<{ orderCancel: { orderCancelUserErrors: []; userErrors: [] } }>(ORDER_CANCEL, { orderId: externalId }, false);
      ShopifyClient.check({ userErrors: [...(r.orderCancel.orderCancelUserErrors ?? []), ...(r.orderCancel.userErrors ?? [])] }, `to cancel order ${record.number}`);
      return this.ack(externalId, notices);
    }
    const known = new Set((order.fulfillments ?? []).flatMap((f) => f.trackingInfo.map((t) => t.number ?? '')));
    const shipments = (patch.shipments ?? []).filter((s) => !known.has(s.trackingNumber));
    const open = (order.fulfillmentOrders?.nodes ?? []).filter((f) => f.status === 'OPEN' || f.status === 'IN_PROGRESS');
    if (shipments.length === 0 && (patch.status === 'shipped' || patch.status === 'delivered') && open.length > 0) {
      shipments.push({ carrier: '', trackingNumber: '', labelUrl: '', date: null });
    }
    for (const s of shipments) {
      if (open.length === 0) {
        notices.push({ code: 'nothing_to_fulfil', message: `Order ${record.number} has nothing left to fulfil in Shopify; shipment ${s.trackingNumber} not added`, field: 'shipments' });
        continue;
      }
      const r = await this.client.query<{ fulfillmentCreate: { userErrors: [] } }>(FULFILLMENT_CREATE, {
        fulfillment: {
          lineItemsByFulfillmentOrder: open.splice(0).map((f) => ({ fulfillmentOrderId: f.id })),
          ...(s.trackingNumber || s.carrier ? { trackingInfo: { company: s.carrier || null, number: s.trackingNumber || null, ...(s.labelUrl ? { url: s.labelUrl } : {}) } } : {}),
          notifyCustomer: true,
        },
      }, false);
      ShopifyClient.check(r.fulfillmentCreate, `to fulfil order ${record.number}`);
    }
    if (patch.status === 'refunded') notices.push({ code: 'status_not_written', message: `Refunds are made in Shopify's admin; order ${record.number} was not refunded by the hub`, field: 'status' });
    return this.ack(externalId, notices);
  }

  private async read(id: string): Promise<ShopifyOrder> {
    const { order } = await this.client.query<{ order: ShopifyOrder | null }>(ORDER_BY_ID, { id }, true, 130);
    if (!order) throw new ConnectorError('not_found', `The order ${id} no longer exists in Shopify.`, id);
    return order;
  }

  private async ack(id: string, notices: Notice[]): Promise<WriteAck<Order>> {
    const mapped = fromShopifyOrder(await this.read(id));
    return mapped.ok
      ? { externalId: id, record: mapped.record, notices: [...mapped.notices, ...notices] }
      : { externalId: id, record: null, notices: [...notices, { code: mapped.code, message: mapped.message }] };
  }
}
