import { ConnectorError, type ConnectorContext, type Cursor, type ReadOptions } from '../types.js';
import { StoreConnector } from '../store-connector.js';
import type { WooConfig } from './config.js';
import { WooClient } from './woo.client.js';
import { readProducts } from './products.stream.js';
import { readOrders } from './orders.stream.js';
import { ProductWriter } from './product.writer.js';
import { OrderWriter } from './order.writer.js';

/** A WooCommerce store through REST API v3; remembers only the store's currency. */
export class WooConnector extends StoreConnector<string> {
  protected readonly platform = 'WooCommerce';
  private readonly client: WooClient;

  constructor(config: WooConfig, ctx: ConnectorContext) {
    super();
    this.client = new WooClient(config, ctx);
  }

  /** One product: proves the URL and the keys, without asking for settings the keys may not reach. */
  protected probe() {
    return this.client.list('products', { per_page: 1 });
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

  /** The store's currency setting (WooCommerce > Settings > General). */
  protected async loadStore(): Promise<string> {
    const s = await this.client.get<{ value?: unknown }>('settings/general/woocommerce_currency');
    if (typeof s?.value !== 'string' || !/^[A-Z]{3}$/.test(s.value)) {
      throw new ConnectorError('invalid_data', 'WooCommerce did not say which currency the store sells in (settings/general/woocommerce_currency).', JSON.stringify(s)?.slice(0, 200));
    }
    return s.value;
  }
}
