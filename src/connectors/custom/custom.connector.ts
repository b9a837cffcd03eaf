import type { Product } from '../../model/product.js';
import type { Order, OrderPatch } from '../../model/order.js';
import {
  ConnectorError,
  type Connector,
  type ConnectorContext,
  type Cursor,
  type Entity,
  type ProductPatch,
  type ReadEvent,
  type ReadOptions,
  type WriteAck,
  type WriteOp,
} from '../types.js';
import type { CustomConfig } from './config.js';
import { CustomClient } from './custom.client.js';
import { readOrders } from './orders.stream.js';
import { walkListing, withId } from './paging.js';
import { fromStoreOrder, orderPatchToStore, toStoreOrder } from './order.mapper.js';
import { fromStore, patchToStore, rawFingerprint, toStore } from './product.mapper.js';
import { readProducts } from './products.stream.js';

/** A custom storefront connection: the protocol's endpoints, nothing kept between calls. */
export class CustomConnector implements Connector {
  private readonly client: CustomClient;

  constructor(
    private readonly config: CustomConfig,
    private readonly ctx: ConnectorContext,
  ) {
    this.client = new CustomClient(config, ctx);
  }

  async check(): Promise<{ ok: true } | { ok: false; error: ConnectorError }> {
    try {
      const quick = new CustomClient({ ...this.config, retries: Math.min(this.config.retries, 2) }, this.ctx);
      for await (const ev of walkListing(quick, this.config.productsUrl, 'products', 1)) {
        if (ev.type !== 'total') break; // the first page was fetched and has a products list
      }
      return { ok: true };
    } catch (err) {
      return { ok: false, error: asConnectorError(err) };
    }
  }

  read(entity: 'products', from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<Product>>;
  read(entity: 'orders', from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<Order>>;
  read(entity: Entity, from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<unknown>>;
  read(entity: Entity, from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<unknown>> {
    return entity === 'products'
      ? readProducts(this.client, from, this.config.maxPages, opts?.ids, opts?.unmapped)
      : readOrders(this.client, from, this.config.maxPages, opts?.ids);
  }

  write(entity: 'products', op: WriteOp<Product, ProductPatch>): Promise<WriteAck<Product>>;
  write(entity: 'orders', op: WriteOp<Order, OrderPatch>): Promise<WriteAck<Order>>;
  write(entity: Entity, op: WriteOp<unknown, unknown>): Promise<WriteAck<unknown>>;
  write(entity: Entity, op: WriteOp<unknown, unknown>): Promise<WriteAck<unknown>> {
    return entity === 'products'
      ? this.writeProduct(op as WriteOp<Product, ProductPatch>)
      : this.writeOrder(op as WriteOp<Order, OrderPatch>);
  }

  private async writeProduct(op: WriteOp<Product, ProductPatch>): Promise<WriteAck<Product>> {
    const base = this.config.productsWriteUrl ?? this.config.productsUrl;
    if (op.type === 'create') {
      const answer = await this.client.post(base, toStore(op.record), { idempotent: false });
      const mapped = fromStore(answer);
      if (mapped.ok) return { externalId: mapped.externalId, record: mapped.record, notices: mapped.notices, fingerprint: rawFingerprint(answer) };
      if (mapped.externalId !== null) {
        // Created, but its answer is unreadable: keep the id so a retry never creates it twice.
        return { externalId: mapped.externalId, record: null, notices: [{ code: mapped.code, message: mapped.message }] };
      }
      throw new ConnectorError(
        'invalid_data',
        `The store answered the new product without its _id, so the hub cannot link it. It may have been created: check the store before sending it again. ${mapped.message}`,
        `POST ${base}: ${mapped.code}`,
      );
    }
    const answer = await this.client.post(withId(base, op.externalId), patchToStore(op.patch), { idempotent: true });
    const mapped = fromStore(answer);
    if (mapped.ok) return { externalId: op.externalId, record: mapped.record, notices: mapped.notices, fingerprint: rawFingerprint(answer) };
    return { externalId: op.externalId, record: null, notices: [{ code: mapped.code, message: mapped.message }] };
  }

  private async writeOrder(op: WriteOp<Order, OrderPatch>): Promise<WriteAck<Order>> {
    const base = this.config.ordersWriteUrl ?? this.config.ordersUrl;
    if (op.type === 'create') {
      const answer = await this.client.post(base, toStoreOrder(op.record), { idempotent: false });
      const mapped = fromStoreOrder(answer);
      if (mapped.ok) return { externalId: mapped.externalId, record: mapped.record, notices: mapped.notices };
      if (mapped.externalId !== null) {
        // Created, but its answer is unreadable: keep the id so a retry never creates it twice.
        return { externalId: mapped.externalId, record: null, notices: [{ code: mapped.code, message: mapped.message }] };
      }
      throw new ConnectorError(
        'invalid_data',
        'The store answered the new order without its _id, so the hub cannot link it. It may have been created: check the store before sending it again.',
        `POST ${base}: ${mapped.code}`,
      );
    }
    const answer = await this.client.post(withId(base, op.externalId), orderPatchToStore(op.patch), { idempotent: true });
    const mapped = fromStoreOrder(answer);
    if (mapped.ok) return { externalId: op.externalId, record: mapped.record, notices: mapped.notices, fingerprint: rawFingerprint(answer) };
    return { externalId: op.externalId, record: null, notices: [{ code: mapped.code, message: mapped.message }] };
  }
}

function asConnectorError(err: unknown): ConnectorError {
  if (err instanceof ConnectorError) return err;
  if (err instanceof Error && err.name === 'AbortError') {
    return new ConnectorError('transient', 'The check was cancelled.', err.message);
  }
  return new ConnectorError('bug', 'The hub failed while checking the store.', err instanceof Error ? err.stack : String(err));
}
