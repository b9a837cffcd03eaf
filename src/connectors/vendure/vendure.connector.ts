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
import type { VendureConfig } from './config.js';
import { VendureClient } from './vendure.client.js';
import { isObject, type ShopContext } from './product.mapper.js';
import { ProductWriter } from './product.writer.js';
import { readProducts } from './products.stream.js';
import { readOrders } from './orders.stream.js';
import { OrderWriter } from './order.writer.js';
import { SHOP_CONTEXT } from './queries.js';

/** A Vendure channel reached through its Admin API. Keeps only its session and what it learnt about the channel. */
export class VendureConnector implements Connector {
  private readonly client: VendureClient;
  private shop: Promise<ShopContext> | null = null;

  constructor(
    private readonly config: VendureConfig,
    private readonly ctx: ConnectorContext,
  ) {
    this.client = new VendureClient(config, ctx);
  }

  async check(): Promise<{ ok: true } | { ok: false; error: ConnectorError }> {
    try {
      await this.shopContext();
      return { ok: true };
    } catch (err) {
      return { ok: false, error: asConnectorError(err) };
    }
  }

  read(entity: 'products', from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<Product>>;
  read(entity: 'orders', from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<Order>>;
  read(entity: Entity, from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<unknown>>;
  read(entity: Entity, from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<unknown>> {
    const self = this;
    return (async function* () {
      const shop = await self.shopContext();
      // A product hint still reads the whole list: Vendure has no cheap "these products" listing worth the difference.
      yield* entity === 'products' ? readProducts(self.client, shop, from) : readOrders(self.client, shop, from, opts?.ids);
    })();
  }

  write(entity: 'products', op: WriteOp<Product, ProductPatch>): Promise<WriteAck<Product>>;
  write(entity: 'orders', op: WriteOp<Order, OrderPatch>): Promise<WriteAck<Order>>;
  write(entity: Entity, op: WriteOp<unknown, unknown>): Promise<WriteAck<unknown>>;
  async write(entity: Entity, op: WriteOp<unknown, unknown>): Promise<WriteAck<unknown>> {
    const shop = await this.shopContext();
    if (entity === 'orders') {
      const writer = new OrderWriter(this.client, shop);
      const o = op as WriteOp<Order, OrderPatch>;
      return o.type === 'create' ? writer.create(o.record) : writer.update(o.externalId, o.patch, o.record);
    }
    const writer = new ProductWriter(this.client, shop);
    const p = op as WriteOp<Product, ProductPatch>;
    return p.type === 'create' ? writer.create(p.record) : writer.update(p.externalId, p.patch, p.record);
  }

  private shopContext(): Promise<ShopContext> {
    this.shop ??= this.loadShopContext().catch((err) => {
      this.shop = null;
      throw err;
    });
    return this.shop;
  }

  private async loadShopContext(): Promise<ShopContext> {
    const data = await this.client.query<{ activeChannel?: unknown; stockLocations?: { items?: Array<{ id: string; name: string }> } }>(
      SHOP_CONTEXT, {}, { idempotent: true });
    const channel = data.activeChannel;
    if (!isObject(channel) || typeof channel.defaultCurrencyCode !== 'string') {
      throw new ConnectorError('invalid_data',
        'Vendure answered without its channel settings. Check that adminApiUrl points at the Vendure Admin API.',
        `activeChannel: ${JSON.stringify(channel)?.slice(0, 200)}`);
    }
    const locations = new Map<string, string>();
    const items = data.stockLocations?.items ?? [];
    items.forEach((l, i) => locations.set(String(l.id), i === 0 ? 'default' : l.name));
    return {
      defaultCurrency: channel.defaultCurrencyCode,
      currencies: Array.isArray(channel.availableCurrencyCodes) ? channel.availableCurrencyCodes.map(String) : [channel.defaultCurrencyCode],
      locations,
      defaultLocationId: items[0] ? String(items[0].id) : null,
      priceDecimals: this.config.priceDecimals,
      languageCode: this.config.languageCode,
    };
  }
}

function asConnectorError(err: unknown): ConnectorError {
  if (err instanceof ConnectorError) return err;
  if (err instanceof Error && err.name === 'AbortError') return new ConnectorError('transient', 'The check was cancelled.', err.message);
  return new ConnectorError('bug', 'The hub failed while checking Vendure.', err instanceof Error ? err.stack : String(err));
}
