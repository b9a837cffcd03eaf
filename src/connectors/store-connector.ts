import type { Product } from '../model/product.js';
import type { Order, OrderPatch } from '../model/order.js';
import {
  ConnectorError, type Connector, type Cursor, type Entity, type ProductPatch,
  type ReadEvent, type ReadOptions, type WriteAck, type WriteOp,
} from './types.js';

/** Creates and updates one entity on a platform: what a connector's product or order writer offers. */
export interface RecordWriter<T, P> {
  create(record: T): Promise<WriteAck<T>>;
  update(externalId: string, patch: P, record: T): Promise<WriteAck<T>>;
}

/**
 * The frame of a connector to a platform that must be asked a few things before its records
 * can be read or written (the shop's currency, its stock locations): that store context is
 * asked for on first use, kept for the connector's life (one job), and asked again after a
 * failure. Shopify, WooCommerce and Vendure are built on it: a new platform says how to read
 * and how to write each entity, and how to learn its store context.
 *
 * @example
 * class AcmeConnector extends StoreConnector<{ currency: string }> {
 *   protected readonly platform = 'Acme';
 *   protected loadStore() { return this.client.get('/shop').then((s) => ({ currency: s.currency })); }
 *   protected async *readProducts(from) { yield* readProducts(this.client, await this.storeContext(), from); }
 *   ...
 * }
 */
export abstract class StoreConnector<S> implements Connector {
  private store: Promise<S> | null = null;

  /** The platform's name, for errors: "The hub failed while checking Shopify." */
  protected abstract readonly platform: string;
  /** What the connector learns from the store once per job. */
  protected abstract loadStore(): Promise<S>;
  protected abstract readProducts(from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<Product>>;
  protected abstract readOrders(from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<Order>>;
  protected abstract productWriter(): Promise<RecordWriter<Product, ProductPatch>>;
  protected abstract orderWriter(): Promise<RecordWriter<Order, OrderPatch>>;

  /** The cheap call `check()` makes; by default, learning the store context. */
  protected probe(): Promise<unknown> {
    return this.storeContext();
  }

  protected storeContext(): Promise<S> {
    this.store ??= this.loadStore().catch((err) => {
      this.store = null;
      throw err;
    });
    return this.store;
  }

  async check(): Promise<{ ok: true } | { ok: false; error: ConnectorError }> {
    try {
      await this.probe();
      return { ok: true };
    } catch (err) {
      if (err instanceof ConnectorError) return { ok: false, error: err };
      if (err instanceof Error && err.name === 'AbortError') {
        return { ok: false, error: new ConnectorError('transient', 'The check was cancelled.', err.message) };
      }
      return { ok: false, error: new ConnectorError('bug', `The hub failed while checking ${this.platform}.`, err instanceof Error ? err.stack : String(err)) };
    }
  }

  read(entity: 'products', from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<Product>>;
  read(entity: 'orders', from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<Order>>;
  read(entity: Entity, from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<unknown>>;
  read(entity: Entity, from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<unknown>> {
    return entity === 'orders' ? this.readOrders(from, opts) : this.readProducts(from, opts);
  }

  write(entity: 'products', op: WriteOp<Product, ProductPatch>): Promise<WriteAck<Product>>;
  write(entity: 'orders', op: WriteOp<Order, OrderPatch>): Promise<WriteAck<Order>>;
  write(entity: Entity, op: WriteOp<unknown, unknown>): Promise<WriteAck<unknown>>;
  async write(entity: Entity, op: WriteOp<unknown, unknown>): Promise<WriteAck<unknown>> {
    const writer = (entity === 'orders' ? await this.orderWriter() : await this.productWriter()) as RecordWriter<unknown, unknown>;
    return op.type === 'create' ? writer.create(op.record) : writer.update(op.externalId, op.patch, op.record);
  }
}
