import { randomUUID } from 'node:crypto';
import type { Product } from '../../model/product.js';
import type { Order, OrderPatch } from '../../model/order.js';
import {
  ConnectorError, type Connector, type ConnectorContext, type Cursor, type Entity, type ProductPatch,
  type ReadEvent, type WriteAck, type WriteOp,
} from '../types.js';
import type { FeedConfig } from './config.js';
import { readProducts } from './products.stream.js';

/**
 * A feed connection. Reading imports the source file; writing is how products
 * enter the export: the hub's send acknowledges them at once, and the export URL
 * serves the connection's view of each record whenever it is pulled.
 */
export class FeedConnector implements Connector {
  constructor(
    private readonly config: FeedConfig,
    private readonly ctx: ConnectorContext,
  ) {}

  async check(): Promise<{ ok: true } | { ok: false; error: ConnectorError }> {
    if (!this.config.source) return { ok: true };
    try {
      for await (const ev of readProducts(this.config, this.ctx)) if (ev.type === 'record' || ev.type === 'invalid') break;
      return { ok: true };
    } catch (err) {
      return { ok: false, error: err instanceof ConnectorError ? err : new ConnectorError('bug', 'The hub failed while reading the feed.', String(err)) };
    }
  }

  read(entity: 'products', from: Cursor | null): AsyncIterable<ReadEvent<Product>>;
  read(entity: 'orders', from: Cursor | null): AsyncIterable<ReadEvent<Order>>;
  read(entity: Entity, from: Cursor | null): AsyncIterable<ReadEvent<unknown>>;
  read(entity: Entity, _from: Cursor | null): AsyncIterable<ReadEvent<unknown>> {
    if (entity === 'products') return readProducts(this.config, this.ctx);
    // A feed holds no orders: an empty listing that claims nothing about deletions.
    return (async function* () {
      yield { type: 'checkpoint', cursor: {}, complete: false } as ReadEvent<unknown>;
    })();
  }

  write(entity: 'products', op: WriteOp<Product, ProductPatch>): Promise<WriteAck<Product>>;
  write(entity: 'orders', op: WriteOp<Order, OrderPatch>): Promise<WriteAck<Order>>;
  write(entity: Entity, op: WriteOp<unknown, unknown>): Promise<WriteAck<unknown>>;
  async write(entity: Entity, op: WriteOp<unknown, unknown>): Promise<WriteAck<unknown>> {
    if (entity !== 'products') {
      throw new ConnectorError('invalid_data', 'A feed carries products only; orders are not written to it.', `write ${entity}`);
    }
    const p = op as WriteOp<Product, ProductPatch>;
    return p.type === 'create' ? { externalId: randomUUID(), record: p.record } : { externalId: p.externalId, record: null };
  }
}
