import type { Order, OrderPatch, Shipment } from '../../model/order.js';
import { ConnectorError, type WriteAck } from '../types.js';
import type { WooClient } from './woo.client.js';
import { fromWooOrder, NUMBER_META, STATUS_META, toWooAddress, TRACKING_META, WOO_STATUS, type WooOrder } from './order.mapper.js';
import { money } from './product.mapper.js';

/**
 * Writes orders to WooCommerce: an order forwarded from a marketplace is created
 * paid (`set_paid`) with its lines on WooCommerce's products; fulfilment updates set
 * the status, the Shipment Tracking meta data and a customer note with the tracking.
 *
 * @example
 * await new OrderWriter(client).update('727', { status: 'shipped', shipments: [{ carrier: 'DHL', trackingNumber: 'JD01', labelUrl: '', date: null }] }, order);
 */
export class OrderWriter {
  constructor(private readonly client: WooClient) {}

  async create(record: Order): Promise<WriteAck<Order>> {
    // An attempt whose answer was lost left the order there: the hub's number is on it.
    const recent = await this.client.list<WooOrder>('orders', { search: record.number, per_page: 20 });
    const found = recent.items.find((o) => (o.meta_data ?? []).some((m) => m.key === NUMBER_META && m.value === record.number));
    if (found) return this.ack(found);
    const unmatched = record.lines.filter((l) => !l.productId);
    if (unmatched.length > 0) {
      throw new ConnectorError('invalid_data',
        `Order ${record.number}: ${unmatched.map((l) => l.sku || l.title).join(', ')} ${unmatched.length === 1 ? 'is' : 'are'} not a product of this store, so the order cannot be created.`,
        'lines without product ids');
    }
    const created = await this.client.post<WooOrder>('orders', {
      status: WOO_STATUS[record.status] ?? 'processing',
      set_paid: record.status !== 'pending',
      currency: record.currency,
      customer_note: record.notes,
      billing: toWooAddress(record.billingAddress ?? record.shippingAddress, record.buyer),
      shipping: toWooAddress(record.shippingAddress, undefined),
      line_items: record.lines.map((l) => ({
        product_id: Number(l.productId),
        ...(l.variationId && l.variationId !== l.productId ? { variation_id: Number(l.variationId) } : {}),
        quantity: l.quantity,
        ...(l.unitPrice !== null ? { subtotal: money(l.unitPrice * l.quantity), total: money(l.unitPrice * l.quantity) } : {}),
      })),
      meta_data: [{ key: NUMBER_META, value: record.number }, { key: STATUS_META, value: record.status }],
    });
    return this.ack(created);
  }

  async update(externalId: string, patch: OrderPatch, _record: Order): Promise<WriteAck<Order>> {
    const body: Record<string, unknown> = {};
    const meta: Array<{ key: string; value: unknown }> = [];
    if (patch.status !== undefined) {
      body.status = WOO_STATUS[patch.status];
      meta.push({ key: STATUS_META, value: patch.status });
    }
    let fresh: Shipment[] = [];
    if (patch.shipments !== undefined) {
      const before = fromWooOrder(await this.client.get<WooOrder>(`orders/${externalId}`));
      const known = new Set(before.ok ? before.record.shipments.map((s) => s.trackingNumber) : []);
      fresh = patch.shipments.filter((s) => s.trackingNumber && !known.has(s.trackingNumber));
      meta.push({ key: TRACKING_META, value: patch.shipments.map(trackingItem) });
    }
    if (patch.notes !== undefined) body.customer_note = patch.notes;
    if (meta.length > 0) body.meta_data = meta;
    let order = Object.keys(body).length > 0 ? await this.client.put<WooOrder>(`orders/${externalId}`, body) : await this.client.get<WooOrder>(`orders/${externalId}`);
    for (const s of fresh) {
      // The customer hears of the shipment the way WooCommerce tells them: a customer note, emailed.
      await this.client.post(`orders/${externalId}/notes`, {
        note: `Shipped${s.carrier ? ` with ${s.carrier}` : ''}: tracking number ${s.trackingNumber}${s.labelUrl ? ` (${s.labelUrl})` : ''}.`,
        customer_note: true,
      });
    }
    if (fresh.length > 0) order = await this.client.get<WooOrder>(`orders/${externalId}`);
    return this.ack(order);
  }

  private ack(order: WooOrder): WriteAck<Order> {
    const mapped = fromWooOrder(order);
    if (!mapped.ok) return { externalId: String(order.id), record: null, notices: [{ code: mapped.code, message: mapped.message }] };
    return { externalId: mapped.externalId, record: mapped.record, notices: mapped.notices };
  }
}

function trackingItem(s: Shipment, i: number) {
  return {
    tracking_provider: s.carrier, custom_tracking_provider: '', custom_tracking_link: s.labelUrl, tracking_number: s.trackingNumber,
    date_shipped: String(Math.floor((s.date ? Date.parse(s.date) : Date.now()) / 1000)), tracking_id: `channelsync-${i + 1}`,
  };
}
