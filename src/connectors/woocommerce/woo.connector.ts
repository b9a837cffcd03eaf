import type { Product } from '../../model/product.js';
import type { Order, OrderPatch } from '../../model/order.js';
import {
  ConnectorError, type Connector, type ConnectorContext, type Cursor, type Entity, type ProductPatch,
  type ReadEvent, type ReadOptions, type WriteAck, type WriteOp,
} from '../types.js';
import type { WooConfig } from './config.js';
import { WooClient } from './woo.client.js';
import { readProducts } from './products.stream.js';
import { readOrders } from './orders.stream.js';
import { ProductWriter } from './product.writer.js';
import { OrderWriter } from './order.writer.js';

/** A WooCommerce store through REST API v3; remembers only the store's currency. */
export class WooConnector implements Connector {
  private readonly client: WooClient;
  private currency: Promise<string> | null = null;

  constructor(config: WooConfig, private readonly ctx: ConnectorContext) {
    this.client = new WooClient(config, ctx);
  }

  async check(): Promise<{ ok: true } | { ok: false; error: ConnectorError }> {
    try {
      await this.client.list('products', { per_page: 1 });
      return { ok: true };
    } catch (err) {
      return { ok: false, error: err instanceof ConnectorError ? err : new ConnectorError('bug', 'The hub failed while checking WooCommerce.', String(err)) };
    }
  }

  read(entity: 'products', from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<Product>>;
  read(entity: 'orders', from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<Order>>;
  read(entity: Entity, from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<unknown>>;
  read(entity: Entity, from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<unknown>> {
    if (entity === 'orders') return readOrders(this.client, from, opts?.ids);
    const self = this;
    return (async function* () {
      yield* readProducts(self.client, await self.storeCurrency(), from);
    })();
  }

  write(entity: 'products', op: WriteOp<Product, ProductPatch>): Promise<WriteAck<Product>>;
  write(entity: 'orders', op: WriteOp<Order, OrderPatch>): Promise<WriteAck<Order>>;
  write(entity: Entity, op: WriteOp<unknown, unknown>): Promise<WriteAck<unknown>>;
  async write(entity: Entity, op: WriteOp<unknown, unknown>): Promise<WriteAck<unknown>> {
    if (entity === 'orders') {
      const o = op as WriteOp<Order, OrderPatch>;
      const writer = new OrderWriter(this.client);
      return o.type === 'create' ? writer.create(o.record) : writer.update(o.externalId, o.patch, o.record);
    }
    const p = op as WriteOp<Product, ProductPatch>;
    const writer = new ProductWriter(this.client, await this.storeCurrency());
    return p.type === 'create' ? writer.create(p.record) : writer.update(p.externalId, p.patch, p.record);
  }

  /** The store's currency setting (WooCommerce > Settings > General). */
  private storeCurrency(): Promise<string> {
    this.currency ??= this.client.get<{ value?: unknown }>('settings/general/woocommerce_currency')
      .then((s) => {
        if (typeof s?.value !== 'string' || !/^[A-Z]{3}$/.test(s.value)) {
          throw new ConnectorError('invalid_data', 'WooCommerce did not say which currency the store sells in (settings/general/woocommerce_currency).', JSON.stringify(s)?.slice(0, 200));
        }
        return s.value;
      })
      .catch((err) => {
        this.currency = null;
        throw err;
      });
    return this.currency;
  }
}
