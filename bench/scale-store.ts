/**
 * A reference storefront process for bench/scale.bench.ts: products `FROM`..`FROM+COUNT-1`
 * of the demo catalog, so several stores hold distinct SKUs.
 *
 *   PORT=19500 KEY=k FROM=25000 COUNT=25000 npx tsx bench/scale-store.ts
 */
import { demoProduct } from '../src/storefront/catalog.js';
import { startStorefront } from '../src/storefront/server.js';

const from = Number(process.env.FROM ?? 0);
const count = Number(process.env.COUNT ?? 0);
const shop = await startStorefront({
  port: Number(process.env.PORT),
  key: process.env.KEY!,
  products: Array.from({ length: count }, (_, i) => demoProduct(from + i)),
  pageSize: 100,
});
console.log(`ready ${shop.url}`);
process.on('SIGTERM', () => { shop.close().then(() => process.exit(0)); });
