import type { Product } from '../../model/product.js';
import type { Order, OrderPatch } from '../../model/order.js';
import {
  ConnectorError, type Connector, type ConnectorContext, type Cursor, type Entity, type ProductPatch,
  type ReadEvent, type ReadOptions, type WriteAck, type WriteOp,
} from '../types.js';
import type { ShopifyConfig } from './config.js';
import { ShopifyClient } from './shopify.client.js';
import type { ShopContext } from './product.mapper.js';
import { readProducts } from './products.stream.js';
import { readOrders } from './orders.stream.js';
import { ProductWriter } from './product.writer.js';
import { OrderWriter } from './order.writer.js';
import { SHOP } from './queries.js';

/** A Shopify shop through the Admin GraphQL API; remembers only the shop's currency and locations. */
export class ShopifyConnector implements Connector {
  private readonly client: ShopifyClient;
  private shop: Promise<ShopContext> | null = null;

  constructor(private readonly config: ShopifyConfig, ctx: ConnectorContext) {
    this.client = new ShopifyClient(config, ctx);
  }

  async check(): Promise<{ ok: true } | { ok: false; error: ConnectorError }> {
    try {
      await this.shopContext();
      return { ok: true };
    } catch (err) {
      return { ok: false, error: err instanceof ConnectorError ? err : new ConnectorError('bug', 'The hub failed while checking Shopify.', String(err)) };
    }
  }

  read(entity: 'products', from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<Product>>;
  read(entity: 'orders', from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<Order>>;
  read(entity: Entity, from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<unknown>>;
  read(entity: Entity, from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<unknown>> {
    if (entity === 'orders') return readOrders(this.client, from, opts?.ids);
    const self = this;
    return (async function* () {
      yield* readProducts(self.client, await self.shopContext(), from);
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
    const writer = new ProductWriter(this.client, await this.shopContext());
    return p.type === 'create' ? writer.create(p.record) : writer.update(p.externalId, p.patch, p.record);
  }

  private shopContext(): Promise<ShopContext> {
    this.shop ??= (async () => {
      const data = await this.client.query<{ shop?: { currencyCode?: string }; locations?: { nodes?: Array<{ id: string; name: string; isActive: boolean }> } }>(SHOP, {}, true, 30);
      const currency = data.shop?.currencyCode;
      const locations = (data.locations?.nodes ?? []).filter((l) => l.isActive);
      if (typeof currency !== 'string' || locations.length === 0) {
        throw new ConnectorError('invalid_data', 'Shopify did not say the shop\'s currency and locations.', JSON.stringify(data).slice(0, 200));
      }
      const chosen = this.config.locationId ?? locations[0].id;
      if (!locations.some((l) => l.id === chosen)) {
        throw new ConnectorError('config', `The shop has no active location ${chosen}. Its locations: ${locations.map((l) => `${l.name} (${l.id})`).join(', ')}.`);
      }
      return {
        currency,
        defaultLocationId: chosen,
        locations: new Map(locations.map((l) => [l.id, l.id === chosen ? 'default' : l.name])),
      };
    })().catch((err) => {
      this.shop = null;
      throw err;
    });
    return this.shop;
  }
}
