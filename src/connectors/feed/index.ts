import type { ConnectorDefinition } from '../types.js';
import { FeedConfig, prepareFeedConfig, type FeedField } from './config.js';
import { FeedConnector } from './feed.connector.js';
import { mappedFields } from './product.mapper.js';

export { FeedConfig, DEFAULT_COLUMNS } from './config.js';
export { FeedConnector } from './feed.connector.js';
export { feedRows, FEED_HEADER } from './export.js';

/** The settings field behind each feed column. */
const SETTING: Partial<Record<FeedField, string>> = {
  title: 'title', description: 'description', brand: 'brand', mpn: 'mpn', model: 'model', url: 'url', tags: 'tags',
  categories: 'categories', status: 'status', deliveryDays: 'deliveryDays', barcode: 'barcode', size: 'size', color: 'color',
  images: 'images', price: 'price', quantity: 'stock',
};

/**
 * CSV / JSON feeds: import a catalog, or just prices and stock, from a file or URL
 * through a column mapping; export the connection's view at
 * GET /feeds/{connectionId}.csv|.json?key={key}.
 *
 * @example
 * { name: 'ERP stock', kind: 'feed', config: { source: 'https://erp.example.com/stock.csv', columns: { sku: 'SKU', variationSku: 'Variant', quantity: 'Stock' } } }
 */
export const feed: ConnectorDefinition<FeedConfig> = {
  kind: 'feed',
  label: 'CSV / JSON feed',
  configSchema: FeedConfig,
  secretFields: ['key', 'sourceParams'],
  // The export key is the hub's own; only a source's access parameters go to the source.
  sentSecrets: ['sourceParams'],
  urlCredentials: { source: 'sourceParams' },
  prepareConfig: prepareFeedConfig,
  // A feed file must be in the import folder: said when the connection is saved, and again at every read.
  checkReach: async (config, reach) => {
    if (!config.source || /^https?:\/\//i.test(config.source)) return null;
    try {
      await reach.importPath(config.source);
      return null;
    } catch (err) {
      return { field: 'source', message: err instanceof Error ? err.message : String(err) };
    }
  },
  capabilities: { read: ['products'], write: ['products'] },
  // An import feed holds only the fields it maps: the others are never read from it (so a stock
  // feed cannot blank a title) nor written to it. An export-only feed carries everything.
  defaultSettings: (config) => {
    const held = new Set<string>(config.source ? mappedFields(config).map((f) => SETTING[f]).filter((x): x is string => !!x) : Object.values(SETTING));
    const off = [...new Set(Object.values(SETTING))].filter((f) => !held.has(f));
    return { fields: Object.fromEntries([...off, 'videos'].map((f) => [f, { detect: false, write: false }])) };
  },
  create: (config, ctx) => new FeedConnector(config, ctx),
};
