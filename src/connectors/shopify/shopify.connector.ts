import { ConnectorError, type ConnectorContext, type Cursor, type ReadOptions } from '../types.js';
import { StoreConnector } from '../store-connector.js';
import type { ShopifyConfig } from './config.js';
import { ShopifyClient } from './shopify.client.js';
import type { ShopContext } from './product.mapper.js';
import { readProducts } from './products.stream.js';
import { readOrders } from './orders.stream.js';
import { ProductWriter } from './product.writer.js';
import { OrderWriter } from './order.writer.js';
import { SHOP } from './queries.js';

/** A Shopify shop through the Admin GraphQL API; remembers only the shop's currency and locations. */
export class ShopifyConnector extends StoreConnector<ShopContext> {
  protected readonly platform = 'Shopify';
  private readonly client: ShopifyClient;

  constructor(private readonly config: ShopifyConfig, ctx: ConnectorContext) {
    super();
    this.client = new ShopifyClient(config, ctx);
  }

  protected async *readProducts(from: Cursor | null) {
    yield* readProducts(this.client, await this.storeContext(), from);
  }

  protected readOrders(from: Cursor | null, opts?: ReadOptions) {
    return readOrders(this.client, from, opts?.ids);
  }

  protected async productWriter() {
    return new ProductWriter(this.client, await this.storeContext());
  }

  protected async orderWriter() {
    return new OrderWriter(this.client);
  }

  protected async loadStore(): Promise<ShopContext> {
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
  }
}
