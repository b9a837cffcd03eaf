import { ConnectorError, type ConnectorContext, type Cursor, type ReadOptions } from '../types.js';
import { StoreConnector } from '../store-connector.js';
import type { VendureConfig } from './config.js';
import { VendureClient } from './vendure.client.js';
import { isObject, type ShopContext } from './product.mapper.js';
import { ProductWriter } from './product.writer.js';
import { readProducts } from './products.stream.js';
import { readOrders } from './orders.stream.js';
import { OrderWriter } from './order.writer.js';
import { SHOP_CONTEXT } from './queries.js';

/** A Vendure channel reached through its Admin API. Keeps only its session and what it learnt about the channel. */
export class VendureConnector extends StoreConnector<ShopContext> {
  protected readonly platform = 'Vendure';
  private readonly client: VendureClient;

  constructor(
    private readonly config: VendureConfig,
    ctx: ConnectorContext,
  ) {
    super();
    this.client = new VendureClient(config, ctx);
  }

  // A product hint still reads the whole list: Vendure has no cheap "these products" listing worth the difference.
  protected async *readProducts(from: Cursor | null) {
    yield* readProducts(this.client, await this.storeContext(), from);
  }

  protected async *readOrders(from: Cursor | null, opts?: ReadOptions) {
    yield* readOrders(this.client, await this.storeContext(), from, opts?.ids);
  }

  protected async productWriter() {
    return new ProductWriter(this.client, await this.storeContext());
  }

  protected async orderWriter() {
    return new OrderWriter(this.client, await this.storeContext());
  }

  protected async loadStore(): Promise<ShopContext> {
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
